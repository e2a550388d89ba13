// SPDX-License-Identifier: GPL-2.0
/*
 * The library functions the peers call out of line, as the kernel does:
 * the bitmap searches of genalloc's first fit (lib/find_bit.c and
 * lib/bitmap.c of 6.12) and objpool's walk to the next CPU
 * (lib/cpumask.c), transcribed so that they cost what the kernel's do.
 */
#include "prelude.h"

/* lib/find_bit.c */
#define FIND_FIRST_BIT(FETCH, MUNGE, size)				\
({									\
	unsigned long idx, val, sz = (size);				\
									\
	for (idx = 0; idx * BITS_PER_LONG < sz; idx++) {		\
		val = (FETCH);						\
		if (val) {						\
			sz = min(idx * BITS_PER_LONG + __ffs(MUNGE(val)), sz); \
			break;						\
		}							\
	}								\
									\
	sz;								\
})

#define FIND_NEXT_BIT(FETCH, MUNGE, size, start)			\
({									\
	unsigned long mask, idx, tmp, sz = (size), __start = (start);	\
									\
	if (unlikely(__start >= sz))					\
		goto out;						\
									\
	mask = MUNGE(BITMAP_FIRST_WORD_MASK(__start));			\
	idx = __start / BITS_PER_LONG;					\
									\
	for (tmp = (FETCH) & mask; !tmp; tmp = (FETCH)) {		\
		if ((idx + 1) * BITS_PER_LONG >= sz)			\
			goto out;					\
		idx++;							\
	}								\
									\
	sz = min(idx * BITS_PER_LONG + __ffs(MUNGE(tmp)), sz);		\
out:									\
	sz;								\
})

unsigned long _find_first_bit(const unsigned long *addr, unsigned long size)
{
	return FIND_FIRST_BIT(addr[idx], /* nop */, size);
}

unsigned long _find_next_bit(const unsigned long *addr, unsigned long nbits,
			     unsigned long start)
{
	return FIND_NEXT_BIT(addr[idx], /* nop */, nbits, start);
}

unsigned long _find_next_zero_bit(const unsigned long *addr,
				  unsigned long nbits, unsigned long start)
{
	return FIND_NEXT_BIT(~addr[idx], /* nop */, nbits, start);
}

/* lib/bitmap.c */
unsigned long bitmap_find_next_zero_area_off(unsigned long *map,
					     unsigned long size,
					     unsigned long start,
					     unsigned int nr,
					     unsigned long align_mask,
					     unsigned long align_offset)
{
	unsigned long index, end, i;
again:
	index = find_next_zero_bit(map, size, start);

	/* Align allocation */
	index = __ALIGN_MASK(index + align_offset, align_mask) - align_offset;

	end = index + nr;
	if (end > size)
		return end;
	i = find_next_bit(map, end, index);
	if (i < end) {
		start = i + 1;
		goto again;
	}
	return index;
}

/* lib/cpumask.c */
unsigned int cpumask_next_wrap(int n, const struct cpumask *mask, int start,
			       bool wrap)
{
	unsigned int next;

again:
	next = cpumask_next(n, mask);

	if (wrap && n < start && next >= start) {
		return nr_cpumask_bits;

	} else if (next >= nr_cpumask_bits) {
		wrap = true;
		n = -1;
		goto again;
	}

	return next;
}
