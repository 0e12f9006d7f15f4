/* imagelib.h - what a freestanding image (include/vm/image.h) has in
 * place of libc: the loader's callbacks, kept in one global by
 * image_start, and the few routines the images and gcc's own code
 * generation (memset, memcpy for struct copies) need. imagelib.c is
 * linked into every image; nothing here may call the host.
 */
#ifndef IMAGELIB_H
#define IMAGELIB_H

#include <stdarg.h>
#include <vm/image.h>

extern const struct vm_image_ops *ops;

/* Keep the ops the loader passed; 0, or -1 after saying why the ABI is
 * not one this image knows. */
int image_start(const struct vm_image_ops *o);

void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
long atol(const char *s);

/* printf to fd 1 (eprintf: fd 2) through ops->write: %d %u %x %ld %lu
 * %lx %llu %llx %s %c %p %%, with an optional field width and '-' or '0'. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int eprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* IMAGELIB_H */
