/* imagelib.c - the image's libc stand-in (imagelib.h): string routines and
 * printf over the loader's write callback. Built into every image with
 * -fno-tree-loop-distribute-patterns, so gcc does not turn memset's own
 * loop into a call to memset.
 */
#include "imagelib.h"

const struct vm_image_ops *ops;

int image_start(const struct vm_image_ops *o)
{
	static const char msg[] = "image: the loader speaks another image ABI\n";

	ops = o;
	if (!o || o->version != VM_IMAGE_ABI_VERSION || o->size < sizeof(*o)) {
		if (o && o->size >= sizeof(o->version) + sizeof(o->size) + sizeof(o->errno_p) +
				    sizeof(o->write))
			o->write(2, msg, sizeof(msg) - 1);
		return -1;
	}
	return 0;
}

void *memset(void *s, int c, size_t n)
{
	unsigned char *p = s;

	while (n--)
		*p++ = (unsigned char)c;
	return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *q = d;
	const unsigned char *p = s;

	while (n--)
		*q++ = *p++;
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *q = d;
	const unsigned char *p = s;

	if (q <= p || q >= p + n)
		return memcpy(d, s, n);
	while (n--)
		q[n] = p[n];
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

long atol(const char *s)
{
	long v = 0, sign = 1;

	if (*s == '-')
		sign = -1, s++;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return sign * v;
}

/* ---- printf ------------------------------------------------------------- */

struct out {
	int fd;
	size_t n;			/* bytes in buf */
	int total;
	char buf[256];
};

static void flush(struct out *o)
{
	if (o->n)
		ops->write(o->fd, o->buf, o->n);
	o->n = 0;
}

static void put(struct out *o, char c)
{
	if (o->n == sizeof(o->buf))
		flush(o);
	o->buf[o->n++] = c;
	o->total++;
}

static void pad(struct out *o, int width, int len, char c)
{
	while (width-- > len)
		put(o, c);
}

static void number(struct out *o, unsigned long long v, int neg, unsigned base, int width,
		   int left, char fill)
{
	char d[24];
	int n = 0, len;

	do {
		d[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	len = n + neg;
	if (neg && fill == '0')
		put(o, '-');
	if (!left)
		pad(o, width, len, fill);
	if (neg && fill != '0')
		put(o, '-');
	while (n)
		put(o, d[--n]);
	if (left)
		pad(o, width, len, ' ');
}

static int vformat(int fd, const char *f, va_list ap)
{
	struct out o = { .fd = fd };

	for (; *f; f++) {
		int width = 0, left = 0, lng = 0;
		char fill = ' ';
		unsigned long long u;
		long long s;
		const char *str;

		if (*f != '%') {
			put(&o, *f);
			continue;
		}
		f++;
		if (*f == '-')
			left = 1, f++;
		if (*f == '0')
			fill = '0', f++;
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (*f++ - '0');
		while (*f == 'l')
			lng++, f++;
		switch (*f) {
		case 'd':
			s = lng ? va_arg(ap, long) : va_arg(ap, int);
			number(&o, s < 0 ? -(unsigned long long)s : (unsigned long long)s, s < 0,
			       10, width, left, fill);
			break;
		case 'u':
		case 'x':
			u = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			number(&o, u, 0, *f == 'u' ? 10 : 16, width, left, fill);
			break;
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			number(&o, (unsigned long)va_arg(ap, void *), 0, 16, width, left, fill);
			break;
		case 's':
			str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			if (!left)
				pad(&o, width, (int)strlen(str), ' ');
			for (s = 0; str[s]; s++)
				put(&o, str[s]);
			if (left)
				pad(&o, width, (int)s, ' ');
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case '%':
			put(&o, '%');
			break;
		default:
			put(&o, '?');
			break;
		}
	}
	flush(&o);
	return o.total;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vformat(1, fmt, ap);
	va_end(ap);
	return n;
}

int eprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vformat(2, fmt, ap);
	va_end(ap);
	return n;
}
