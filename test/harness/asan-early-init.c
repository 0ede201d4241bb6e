/*
 * Preload library for the sanitizer run of the test suites: starts the
 * AddressSanitizer runtime before a library constructor can start it while
 * holding a glibc lock.
 *
 * With libasan in LD_PRELOAD, the runtime's own constructor runs after those
 * of the server's libraries.  On Debian 12 (glibc 2.36, gcc 12) the
 * constructor of libgpg-error calls bindtextdomain(), whose first malloc()
 * starts the runtime while bindtextdomain() holds glibc's gettext lock.  The
 * runtime's start-up calls dlerror(), which takes and releases the same lock,
 * and the postmaster then hangs in its own bindtextdomain().  This library
 * puts a bindtextdomain() in front of glibc's that starts the runtime first.
 * __asan_init() returns at once when the runtime has already started.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

extern void __asan_init(void);

typedef char *(*bindtextdomain_function) (const char *, const char *);

char	   *bindtextdomain(const char *domainname, const char *dirname);

char *
bindtextdomain(const char *domainname, const char *dirname)
{
	static bindtextdomain_function glibc_bindtextdomain = NULL;

	__asan_init();
	if (glibc_bindtextdomain == NULL)
		glibc_bindtextdomain = (bindtextdomain_function)
			dlsym(RTLD_NEXT, "bindtextdomain");
	return glibc_bindtextdomain(domainname, dirname);
}
