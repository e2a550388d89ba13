// SPDX-License-Identifier: GPL-2.0
/*
 * printk() and the kernel's vsnprintf() extensions the pool prints with:
 * %pS (a code address, printed as one), %pe (an error pointer, by name),
 * %*ph (a hex dump), any other %p<x> as the address.  The rest of each
 * conversion is the C library's, one conversion at a time.
 */
#include "mpool_shim.h"

void (*mpool_shim_printk_hook)(const char *line, bool deferred);

struct mpool_shim_out {
	char *buf;
	size_t size;
	size_t len;
};

static void out_str(struct mpool_shim_out *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, o->len++) {
		if (o->len + 1 < o->size)
			o->buf[o->len] = s[i];
	}
}

static const char *mpool_shim_errname(long err)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
		{ EINVAL, "-EINVAL" }, { ENOMEM, "-ENOMEM" },
		{ EEXIST, "-EEXIST" }, { E2BIG, "-E2BIG" },
		{ EOVERFLOW, "-EOVERFLOW" }, { EBUSY, "-EBUSY" },
		{ ENOENT, "-ENOENT" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (-err == names[i].err)
			return names[i].name;
	}
	return NULL;
}

/* %p and what follows it; returns the end of the extension. */
static const char *out_pointer(struct mpool_shim_out *o, const char *fmt,
			       int width, const void *p)
{
	char tmp[64];
	const char *name;
	char sep = ' ';
	int i, n;

	switch (*fmt) {
	case 'h':
		if (fmt[1] == 'N')
			sep = 0;
		else if (fmt[1] == 'C')
			sep = ':';
		else if (fmt[1] == 'D')
			sep = '-';
		for (i = 0; i < (width < 0 ? 1 : min(width, 64)); i++) {
			n = snprintf(tmp, sizeof(tmp), "%s%02x",
				     i && sep ? (char[]){ sep, 0 } : "",
				     ((const u8 *)p)[i]);
			out_str(o, tmp, n);
		}
		break;
	case 'e':
		name = IS_ERR(p) ? mpool_shim_errname(PTR_ERR(p)) : NULL;
		if (name) {
			out_str(o, name, strlen(name));
			break;
		}
		n = IS_ERR(p) ? snprintf(tmp, sizeof(tmp), "%ld", PTR_ERR(p)) :
				snprintf(tmp, sizeof(tmp), "%p", p);
		out_str(o, tmp, n);
		break;
	case 'S':
	case 's':
	case 'B':
		n = snprintf(tmp, sizeof(tmp), "[<%p>]", p);
		out_str(o, tmp, n);
		break;
	default:
		n = snprintf(tmp, sizeof(tmp), "%p", p);
		out_str(o, tmp, n);
		break;
	}
	/* As the kernel's vsnprintf(): every alphanumeric after %p is its. */
	while (isalnum((unsigned char)*fmt))
		fmt++;
	return fmt;
}

int vsnprintf_kernel(char *buf, size_t size, const char *fmt, va_list args);

int vsnprintf_kernel(char *buf, size_t size, const char *fmt, va_list args)
{
	struct mpool_shim_out o = { buf, size, 0 };
	char spec[32], tmp[128];
	int width, prec, n;
	size_t sl;
	char len[3];

	while (*fmt) {
		if (*fmt != '%') {
			out_str(&o, fmt++, 1);
			continue;
		}
		if (fmt[1] == '%') {
			out_str(&o, "%", 1);
			fmt += 2;
			continue;
		}
		sl = 0;
		spec[sl++] = *fmt++;
		while (*fmt && strchr("-+ #0", *fmt) && sl < 8)
			spec[sl++] = *fmt++;
		width = -1;
		if (*fmt == '*') {
			width = va_arg(args, int);
			fmt++;
		} else if (isdigit((unsigned char)*fmt)) {
			width = (int)strtol(fmt, (char **)&fmt, 10);
		}
		prec = -1;
		if (*fmt == '.') {
			fmt++;
			if (*fmt == '*') {
				prec = va_arg(args, int);
				fmt++;
			} else {
				prec = (int)strtol(fmt, (char **)&fmt, 10);
			}
		}
		if (width >= 0)
			sl += snprintf(spec + sl, sizeof(spec) - sl, "%d", width);
		if (prec >= 0)
			sl += snprintf(spec + sl, sizeof(spec) - sl, ".%d", prec);
		memset(len, 0, sizeof(len));
		if (*fmt && strchr("hlzjt", *fmt)) {
			len[0] = *fmt++;
			if ((len[0] == 'h' || len[0] == 'l') && *fmt == len[0])
				len[1] = *fmt++;
		}
		if (!*fmt)
			break;
		sl += snprintf(spec + sl, sizeof(spec) - sl, "%s%c", len, *fmt);
		switch (*fmt++) {
		case 'd':
		case 'i':
			if (len[0] == 'l' || len[0] == 'z' || len[0] == 't' ||
			    len[0] == 'j')
				n = snprintf(tmp, sizeof(tmp), spec,
					     va_arg(args, long));
			else
				n = snprintf(tmp, sizeof(tmp), spec,
					     va_arg(args, int));
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			if (len[0] == 'l' || len[0] == 'z' || len[0] == 't' ||
			    len[0] == 'j')
				n = snprintf(tmp, sizeof(tmp), spec,
					     va_arg(args, unsigned long));
			else
				n = snprintf(tmp, sizeof(tmp), spec,
					     va_arg(args, unsigned int));
			break;
		case 'c':
			n = snprintf(tmp, sizeof(tmp), spec, va_arg(args, int));
			break;
		case 's': {
			const char *s = va_arg(args, const char *);

			if (!s)
				s = "(null)";
			n = snprintf(NULL, 0, spec, s);
			if (n < (int)sizeof(tmp)) {
				snprintf(tmp, sizeof(tmp), spec, s);
			} else {
				out_str(&o, s, strlen(s));
				n = 0;
			}
			break;
		}
		case 'p':
			fmt = out_pointer(&o, fmt, width, va_arg(args, void *));
			n = 0;
			break;
		default:
			n = 0;
			break;
		}
		out_str(&o, tmp, min_t(size_t, n, sizeof(tmp) - 1));
	}
	if (o.size)
		o.buf[min(o.len, o.size - 1)] = '\0';
	return (int)o.len;
}

int vscnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
	int n = vsnprintf_kernel(buf, size, fmt, args);

	if (!size)
		return 0;
	return min_t(int, n, (int)size - 1);
}

int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list args;
	int n;

	va_start(args, fmt);
	n = vscnprintf(buf, size, fmt, args);
	va_end(args);
	return n;
}

/* One line, printed at once or, as the kernel's would be, @deferred. */
static int mpool_shim_vprintk(const char *fmt, va_list args, bool deferred)
{
	char line[1024];
	int n;

	if (fmt[0] == KERN_SOH[0] && fmt[1])
		fmt += 2;
	n = vscnprintf(line, sizeof(line), fmt, args);
	if (mpool_shim_printk_hook) {
		mpool_shim_printk_hook(line, deferred);
	} else {
		fputs(line, stderr);
		fflush(stderr);
	}
	return n;
}

int vprintk(const char *fmt, va_list args)
{
	return mpool_shim_vprintk(fmt, args, false);
}

/*
 * LOGLEVEL_SCHED is printk_deferred()'s: the kernel stores the line and
 * prints it later from an irq_work.  Here it is printed now, marked so.
 */
int vprintk_emit(int facility, int level, const void *dict, const char *fmt,
		 va_list args)
{
	(void)facility;
	(void)dict;
	return mpool_shim_vprintk(fmt, args, level == LOGLEVEL_SCHED);
}

int printk(const char *fmt, ...)
{
	va_list args;
	int n;

	va_start(args, fmt);
	n = vprintk(fmt, args);
	va_end(args);
	return n;
}

/* As lib/ratelimit.c: @burst messages per @interval, from any context. */
int ___ratelimit(struct ratelimit_state *rs, const char *func)
{
	unsigned long flags;
	int ret;

	(void)func;
	if (!rs->interval)
		return 1;
	if (!raw_spin_trylock_irqsave(&rs->lock, flags))
		return 0;
	if (!rs->begin)
		rs->begin = jiffies;
	if (time_after(jiffies, rs->begin + rs->interval)) {
		rs->begin = jiffies;
		rs->printed = 0;
		rs->missed = 0;
	}
	if (rs->burst && rs->burst > rs->printed) {
		rs->printed++;
		ret = 1;
	} else {
		rs->missed++;
		ret = 0;
	}
	raw_spin_unlock_irqrestore(&rs->lock, flags);
	return ret;
}
