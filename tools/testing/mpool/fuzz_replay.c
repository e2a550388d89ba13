// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer's target run once on each file named, or on each file of a
 * directory named (corpus/ by default), without libFuzzer: make check's run over corpus/,
 * under AddressSanitizer and ThreadSanitizer alike, one TAP case a file.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_model.h"
#include "tap.h"

static void replay(const char *path)
{
	static jmp_buf fail;
	static unsigned char *data;
	static size_t size;
	FILE *f = fopen(path, "rb");
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0) {
		tap_result(false, "%s: cannot read", path);
		if (f)
			fclose(f);
		return;
	}
	rewind(f);
	free(data);
	data = malloc(len ? len : 1);
	size = fread(data, 1, len, f);
	fclose(f);
	fuzz_model_fail = &fail;
	if (setjmp(fail)) {
		fuzz_model_fail = NULL;
		fuzz_model_release();
		tap_result(false, "%s", path);
		return;
	}
	LLVMFuzzerTestOneInput(data, size);
	tap_result(true, "%s (%zu bytes)", path, size);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	static char *corpus[] = { NULL, "corpus" };
	struct dirent **names;
	char path[4096];
	int i, j, n;

	tap_begin("fuzz_replay: the fuzzer's corpus, once each");
	if (argc < 2) {
		argc = 2;
		argv = corpus;
	}
	for (i = 1; i < argc; i++) {
		/* Not a directory: a file. */
		n = scandir(argv[i], &names, NULL, by_name);
		if (n < 0) {
			replay(argv[i]);
			continue;
		}
		for (j = 0; j < n; j++) {
			snprintf(path, sizeof(path), "%s/%s", argv[i],
				 names[j]->d_name);
			if (names[j]->d_type == DT_REG)
				replay(path);
			free(names[j]);
		}
		free(names);
	}
	return tap_end();
}
