/*
 * test_events.c — the core's events (server/events.c): subscribers hear
 * every event in subscription order, find their state again by their
 * handler, and the table's bound is an error, not an overflow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "server.h"

static char heard[64];

static void first(hr_server *server, const hr_event *ev, void *ud)
{
	(void)server;
	(void)ud;
	snprintf(heard + strlen(heard), sizeof heard - strlen(heard), "1:%d ",
		 (int)ev->kind);
}

static void second(hr_server *server, const hr_event *ev, void *ud)
{
	(void)server;
	snprintf(heard + strlen(heard), sizeof heard - strlen(heard),
		 "2:%d:%s ", (int)ev->kind, ev->detail ? ev->detail : "-");
	(*(int *)ud)++;
}

static void other(hr_server *server, const hr_event *ev, void *ud)
{
	(void)server;
	(void)ev;
	(void)ud;
}

static void subscribers_hear_every_event_in_order(void **state)
{
	static hr_server server;
	int count = 0;
	hr_error err;

	(void)state;
	memset(&server, 0, sizeof server);
	heard[0] = '\0';
	assert_int_equal(hr_events_subscribe(&server, first, NULL, &err), 0);
	assert_int_equal(hr_events_subscribe(&server, second, &count, &err), 0);
	hr_events_fire(&server, HR_EVENT_JOB_STARTED, NULL, "/x/Up");
	hr_events_fire(&server, HR_EVENT_SHUTTING_DOWN, NULL, NULL);
	assert_string_equal(heard, "1:0 2:0:/x/Up 1:5 2:5:- ");
	assert_int_equal(count, 2);
	/* A feature finds its state by its handler. */
	assert_ptr_equal(hr_events_data(&server, second), &count);
	assert_null(hr_events_data(&server, other));
}

static void the_table_is_bounded(void **state)
{
	static hr_server server;
	hr_error err;

	(void)state;
	memset(&server, 0, sizeof server);
	for (int i = 0; i < HR_EVENT_SINKS_MAX; i++)
		assert_int_equal(hr_events_subscribe(&server, other, NULL, &err),
				 0);
	assert_int_equal(hr_events_subscribe(&server, other, NULL, &err),
			 -HR_INTERNAL);
	assert_non_null(strstr(err.msg, "event subscribers"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(subscribers_hear_every_event_in_order),
		cmocka_unit_test(the_table_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
