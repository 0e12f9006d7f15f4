/* hello - the smallest image (include/vm/image.h): runs from the pages
 * guests/runimg maps from this file and prints through the loader's
 * write callback where its code and data are, its arguments, and the
 * faults it took. Its greetings are a table of pointers, so it needs
 * R_X86_64_RELATIVE relocations to print them.
 *
 *   vmrun -- guests/runimg guests/image/hello [exit N] [--wait]
 *
 * "exit N" makes it return N (the loader's, and vmrun's, exit status);
 * "--wait" prints "ready" and waits for a line on stdin, so that vmdump
 * can look at the live guest (vmdump NAME maps 1). "crash write" writes
 * to its own text and "crash exec" jumps into its data: either kills it
 * by SIGSEGV, with the kernel log's line for the fault (error 7: a write
 * to a present read-only page; error 15 or 14: an instruction fetch, bit
 * 4, from a page the VMA does not let run).
 */
#include "imagelib.h"

static const char *const greetings[] = { "hello", "from", "an", "image", 0 };
static int calls = 1;			/* .data: a private file page, written below */

int image_main(int argc, char **argv, const struct vm_image_ops *o)
{
	struct vm_rusage ru;
	int i, status = 0;
	char c;

	if (image_start(o) < 0)
		return 126;
	for (i = 0; greetings[i]; i++)
		printf("%s%s", i ? " " : "", greetings[i]);
	printf(": text at 0x%x, data at 0x%x, stack at 0x%x, pid %d\n",
	       (unsigned)ops->gva((void *)image_main), (unsigned)ops->gva(&calls),
	       (unsigned)ops->gva(&c), ops->getpid());
	for (i = 0; i < argc; i++)
		printf("argv[%d] = %s\n", i, argv[i]);
	calls++;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "exit") && i + 1 < argc)
			status = (int)atol(argv[++i]);
		else if (!strcmp(argv[i], "crash") && i + 1 < argc) {
			const char *how = argv[++i];

			printf("crash %s\n", how);
			if (!strcmp(how, "write"))
				*(volatile char *)(void *)image_main = 0;
			else if (!strcmp(how, "exec"))
				((void (*)(void))(void *)&calls)();
			printf("crash %s: still alive\n", how);
			return 1;
		} else if (!strcmp(argv[i], "--wait")) {
			printf("ready\n");
			while (ops->read(0, &c, 1) == 1 && c != '\n')
				;
		}
	}
	ops->getrusage(&ru);
	printf("hello: calls %d, minflt %lu majflt %lu rss %lu\n", calls,
	       (unsigned long)ru.minflt, (unsigned long)ru.majflt, (unsigned long)ru.rss);
	return status;
}
