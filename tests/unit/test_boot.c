/* test_boot.c - booting and attaching: what memblock reserves, the boot
 * block's promises, another process attaching to a booted machine, and
 * RAM files that are not machines. */
#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>

#include "common.h"

#define MiB (1ULL << 20)

static void test_boot_block_and_memblock(void **state)
{
	struct test_machine tm;
	uint32_t sum = 0;

	(void)state;
	test_boot(&tm, 32 * MiB, VM_MODE_PAE);
	assert_memory_equal(vm_boot_block->magic, VM_BOOT_MAGIC, 8);
	assert_int_equal(vm_boot_block->nr_pages, 8192);
	assert_int_equal(vm_boot_block->mode, VM_MODE_PAE);
	/* boot block, mem_map, kernel data, log, swapper_pg_dir (PAE: pgd +
	 * pmd), the zero page */
	assert_int_equal(vm_boot_block->nr_memblock, 6);
	assert_string_equal(vm_boot_block->memblock[1].name, "mem_map");
	assert_int_equal(vm_boot_block->memblock[4].nr_pages, 2);
	assert_string_equal(vm_boot_block->memblock[5].name, "zero page");
	assert_int_equal(vm_boot_block->memblock[5].base_pfn, vm_boot_block->zero_pfn);
	for (uint32_t i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(((unsigned char *)__va((uint64_t)vm_boot_block->zero_pfn << PAGE_SHIFT))[i], 0);
	for (uint32_t i = 0; i < vm_boot_block->nr_memblock; i++)
		sum += vm_boot_block->memblock[i].nr_pages;
	assert_int_equal(sum, vm_boot_block->reserved_pages);
	/* free after boot = RAM - reserved - what slab/vmalloc took at boot */
	assert_true(tm.boot_free <= 8192 - sum);
	assert_true(tm.boot_free >= 8192 - sum - 64);
	for (uint32_t pfn = 0; pfn < sum; pfn++)
		assert_true(PageReserved(pfn_to_page(pfn)));
	assert_false(PageReserved(pfn_to_page(sum)));
	/* Kernel data reachable through the direct map at PAGE_OFFSET + pa. */
	assert_ptr_equal(__va(vm_boot_block->kdata_pa), vm_kdata);
	assert_int_equal(__pa(mem_map), (uint64_t)vm_boot_block->mem_map_pfn << PAGE_SHIFT);
	test_shutdown(&tm);
}

/* A second process attaches by path, at the same host bases, and its
 * allocations are the machine's. */
static void test_other_process_attaches(void **state)
{
	struct test_machine tm;
	char path[256];
	int status;
	pid_t pid;

	(void)state;
	test_boot(&tm, 32 * MiB, VM_MODE_I386);
	snprintf(path, sizeof(path), "%s", vm_ram_path());
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60);
		vm_detach();
		if (vm_attach(path) != 0)
			_exit(2);
		struct page *p = alloc_pages(GFP_KERNEL, 4);
		if (!p)
			_exit(3);
		memset(page_address(p), 0x5a, 16 * PAGE_SIZE);
		_exit(page_to_pfn(p) < max_pfn ? 0 : 4);	/* exits holding 16 frames */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	drain_all_pages();
	assert_int_equal(nr_free_frames(), tm.boot_free - 16);
	/* Find the block the child left and give it back. */
	for (unsigned long pfn = 0; pfn < max_pfn; pfn++) {
		struct page *p = pfn_to_page(pfn);
		if (page_ref_count(p) == 1 && !PageReserved(p) && !PageSlab(p) &&
		    !(pfn & 15) && page_address(p) && ((unsigned char *)page_address(p))[0] == 0x5a) {
			__free_pages(p, 4);
			break;
		}
	}
	test_shutdown(&tm);
}

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void test_attach_refuses_what_is_not_a_machine(void **state)
{
	char path[] = "/dev/shm/vm-test-boot-bad.ram";
	static char junk[1 << 20];

	(void)state;
	write_file(path, "", 0);
	assert_int_equal(vm_attach(path), -EINVAL);
	memset(junk, 0x41, sizeof(junk));
	write_file(path, junk, sizeof(junk));
	assert_int_equal(vm_attach(path), -EINVAL);
	assert_non_null(strstr(vm_strerror(), "magic"));
	unlink(path);
	assert_true(vm_attach("/nonexistent/vm.ram") < 0);
	assert_null(vm_boot_block);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_boot_block_and_memblock, test_teardown_destroy),
		cmocka_unit_test_teardown(test_other_process_attaches, test_teardown_destroy),
		cmocka_unit_test(test_attach_refuses_what_is_not_a_machine),
	};

	return cmocka_run_group_tests_name("boot", tests, NULL, NULL);
}
