/* common.h - what every unit test shares: a fresh small machine per case,
 * and the checks each case ends with (validators clean, every frame back).
 * Include after <cmocka.h>'s prerequisites.
 */
#ifndef TEST_COMMON_H
#define TEST_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <vm/kernel.h>

struct test_machine {
	unsigned long boot_free;	/* nr_free_frames() right after boot */
};

/* Boot a machine of ram bytes in mode; fail the test if it cannot boot. */
static inline void test_boot(struct test_machine *tm, uint64_t ram, int mode)
{
	struct vm_boot_opts o = { .ram_bytes = ram, .mode = mode };

	if (vm_boot(&o) != 0)
		fail_msg("boot failed: %s", vm_strerror());
	tm->boot_free = nr_free_frames();
}

/* A task as exec leaves it (vm_task_create): its pid, and its mm in *mmp. */
static inline int test_new_task(struct mm_struct **mmp)
{
	int pid = vm_task_create("test", 0);

	assert_true(pid > 0);
	*mmp = task_mm(find_task_by_pid(pid));
	assert_non_null(*mmp);
	return pid;
}

/* Every validator clean, to stderr with the reasons if not. */
static inline void assert_machine_valid(void)
{
	struct vm_view v;
	struct vm_report r = { .out = stderr };

	assert_int_equal(vm_self_view(&v), 0);
	validate_machine(&v, &r);
	assert_int_equal(r.violations, 0);
}

/* The case's end: drained, valid, every frame back, machine removed. */
static inline void test_shutdown(struct test_machine *tm)
{
	drain_all_pages();
	assert_machine_valid();
	assert_int_equal(nr_free_frames(), tm->boot_free);
	vm_destroy();
}

/* Cases that fail mid-way leave the machine: teardown removes it. */
static inline int test_teardown_destroy(void **state)
{
	(void)state;
	vm_destroy();
	return 0;
}

/* Where the kernel log (the ring in RAM) stands now, for log_has. */
static inline uint64_t log_mark(void)
{
	return ((struct vm_log *)__va(vm_boot_block->log_pa))->head;
}

/* Does the log hold needle since mark (0: all the ring still holds)? */
static inline bool log_has(uint64_t since, const char *needle)
{
	struct vm_log *log = __va(vm_boot_block->log_pa);
	uint64_t head = log->head, i;
	char *text;
	bool found;

	if (head - since > log->size)
		since = head - log->size;
	text = malloc(head - since + 1);
	assert_non_null(text);
	for (i = since; i < head; i++)
		text[i - since] = log->text[i % log->size];
	text[head - since] = '\0';
	found = strstr(text, needle) != NULL;
	if (!found)
		fprintf(stderr, "log since mark lacks \"%s\":\n%s", needle, text);
	free(text);
	return found;
}

/* Run a case once per paging mode; the case reads the mode from *state. */
static int mode_i386 __attribute__((unused)) = VM_MODE_I386;
static int mode_pae __attribute__((unused)) = VM_MODE_PAE;
#define BOTH(f)								\
	cmocka_unit_test_prestate_setup_teardown(f, NULL, test_teardown_destroy, &mode_i386), \
	cmocka_unit_test_prestate_setup_teardown(f, NULL, test_teardown_destroy, &mode_pae)

#endif /* TEST_COMMON_H */
