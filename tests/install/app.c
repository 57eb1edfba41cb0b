/*
 * app.c — a program of someone else's: built outside the tree against an
 * installed libhrclient (pkg-config --cflags --libs libhrclient), it asks
 * hrd for the current revision(s), as a service waiting for its schema
 * would. Prints the versions on the first line, then one revision per
 * line; exits 3 when hrd cannot be reached, 1 on any other failure.
 */
#include <hrclient.h>
#include <stdio.h>
#include <string.h>

#if !defined(HR_CLIENT_VERSION_NUM) || HR_CLIENT_VERSION_NUM < 0x000100
#error "hrclient_version.h: no usable HR_CLIENT_VERSION_NUM"
#endif

int main(int argc, char **argv)
{
	hr_client *c;
	hr_error err;
	char **revisions;
	size_t n;

	printf("compiled against %s, running %s\n", HR_CLIENT_VERSION,
	       hr_client_version());
	if (hr_client_connect(argc > 1 ? argv[1] : NULL, &c, &err) < 0) {
		fprintf(stderr, "app: %s (%s)\n", err.msg,
			hr_code_name(err.code));
		return err.code == HR_UNAVAILABLE ? 3 : 1;
	}
	if (hr_client_current_revisions(c, &revisions, &n, &err) < 0) {
		fprintf(stderr, "app: current: %s\n", err.msg);
		hr_client_close(c);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		printf("%s\n", revisions[i]);
	hr_client_free_revisions(revisions);
	hr_client_close(c);
	return 0;
}
