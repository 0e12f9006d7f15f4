/* ifunc - an image runimg must refuse: its one function is a GNU
 * indirect function, which a static-pie resolves at start-up through an
 * R_X86_64_IRELATIVE relocation (static glibc does this for memcpy).
 * runimg applies R_X86_64_RELATIVE only, and says so by name; if it ever
 * ran, this would print "ifunc ran" and exit 3.
 */
#include "imagelib.h"

static int answer_impl(void)
{
	return 3;
}

static int (*resolve_answer(void))(void)
{
	return answer_impl;
}

int answer(void) __attribute__((ifunc("resolve_answer")));

int image_main(int argc, char **argv, const struct vm_image_ops *o)
{
	(void)argc, (void)argv;
	if (image_start(o) < 0)
		return 126;
	printf("ifunc ran\n");
	return answer();
}
