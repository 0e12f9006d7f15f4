/* hello - the first guest: map a few pages, touch them, and show what the
 * emulated MMU did: each page's translation before and after the touch,
 * as /proc/self/pagemap would give it. Run it under vmrun:
 *
 *   vmrun --name demo -- guests/hello 20 --wait    # prints "ready", waits
 *   vmdump demo maps 1                             # from another shell
 *   vmdump demo walk 1 0x080495b0
 *   (press Enter in the first shell to let it finish)
 *
 * With --fork it then forks: parent and child share every page until the
 * child writes its second page, which gets a frame of its own (copy on
 * write); with --wait both stay up to be looked at (vmdump demo ps, and
 * vmdump demo page PFN for a shared frame lists both mappers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vm/guest.h>

#define PAGE 4096

static void show(const char *what, const char *p)
{
	uint64_t e;

	if (vm_translate(p, &e) < 0) {
		perror("vm_translate");
		exit(1);
	}
	if (e & PM_PRESENT)
		printf("  %-8s %#010llx -> pfn %#llx%s\n", what, (unsigned long long)vm_gva(p),
		       (unsigned long long)(e & PM_PFRAME_MASK), (e & PM_SOFT_DIRTY) ? " dirty" : "");
	else if (e & PM_SWAP)
		/* pagemap's swap entry: the area in bits 0-4, the slot above */
		printf("  %-8s %#010llx -> in swap, area %llu slot %#llx\n", what,
		       (unsigned long long)vm_gva(p), (unsigned long long)(e & 0x1f),
		       (unsigned long long)((e & PM_PFRAME_MASK) >> 5));
	else
		printf("  %-8s %#010llx -> not present\n", what, (unsigned long long)vm_gva(p));
}

/* --wait: say "ready" once the pages are touched, then stay up until a
 * line comes on stdin, so vmdump can look at a live guest. */
static void wait_for_go(void)
{
	char buf[16];

	printf("ready\n");
	fflush(stdout);
	if (!fgets(buf, sizeof(buf), stdin))
		exit(1);
}

/* The child of --fork: write its second page (a copy on write), show
 * both pages, tell the parent, and stay until the parent closes hold. */
static void child(char *p, int told, int hold)
{
	char c;

	p[PAGE] = 'c';
	show("child", p);
	show("child", p + PAGE);
	fflush(stdout);
	if (write(told, "x", 1) != 1 || read(hold, &c, 1) < 0)
		vm_exit(1);
	vm_exit(0);
}

static int fork_and_show(char *p, int wait)
{
	int told[2], hold[2], status;
	char c;
	pid_t pid;

	if (pipe(told) < 0 || pipe(hold) < 0) {
		perror("pipe");
		return 1;
	}
	printf("fork: the child writes its second page, a copy on write\n");
	fflush(stdout);
	pid = vm_fork();
	if (pid < 0) {
		perror("vm_fork");
		return 1;
	}
	if (pid == 0) {
		close(hold[1]);
		child(p, told[1], hold[0]);
	}
	close(hold[0]);
	if (read(told[0], &c, 1) != 1)
		return 1;
	printf("guest %d forked guest %d; the parent still has:\n", vm_getpid(), pid);
	show("parent", p);
	show("parent", p + PAGE);
	fflush(stdout);
	if (wait)
		wait_for_go();
	close(hold[1]);
	if (vm_waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "hello: the child failed\n");
		return 1;
	}
	printf("child %d exited 0\n", pid);
	return 0;
}

int main(int argc, char **argv)
{
	int pages = argc > 1 ? atoi(argv[1]) : 4;
	int wait = 0, fork_too = 0;
	struct vm_rusage ru;
	char *data, *p;
	int i;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--wait"))
			wait = 1;
		else if (!strcmp(argv[i], "--fork"))
			fork_too = 1;
	}
	if (fork_too && pages < 2)
		pages = 2;

	if (!vm_is_guest()) {
		fprintf(stderr, "hello: not a guest; run it under vmrun\n");
		return 2;
	}
	/* a page where an i386 program keeps its .data: the seed's 0x080495b0 */
	data = vm_mmap(vm_ptr(0x08049000), PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	p = vm_mmap(NULL, (size_t)pages * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (data == MAP_FAILED || p == MAP_FAILED) {
		perror("vm_mmap");
		return 1;
	}
	printf("hello from guest pid %d: %d pages at %#llx\n", vm_getpid(), pages,
	       (unsigned long long)vm_gva(p));
	show("before", p);
	strcpy(data + 0x5b0, "hello, world");
	for (i = 0; i < pages; i++)
		p[(size_t)i * PAGE] = (char)i;
	for (i = 0; i < pages; i++) {
		if (i == 4 && pages > 6) {
			printf("  ...\n");
			i = pages - 2;
		}
		show("after", p + (size_t)i * PAGE);
	}
	show(".data", data + 0x5b0);
	vm_getrusage(&ru);
	printf("minflt %llu majflt %llu rss %llu pages\n", (unsigned long long)ru.minflt,
	       (unsigned long long)ru.majflt, (unsigned long long)ru.rss);
	fflush(stdout);
	if (fork_too)
		return fork_and_show(p, wait);
	if (wait)
		wait_for_go();
	return 0;
}
