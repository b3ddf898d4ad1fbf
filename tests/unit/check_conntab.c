/* check_conntab.c: the order a TCP worker keeps its connections in. */

#include <stdlib.h>

#include <check.h>

#include "conntab.h"

/* The list runs from the least to the most recently active. */
START_TEST(conntab_touch_moves_to_newest)
{
	struct conntab t;
	struct conn_entry *a, *b, *c;

	conntab_init(&t, 4);
	ck_assert_ptr_nonnull(a = conntab_add(&t, 1));
	ck_assert_ptr_nonnull(b = conntab_add(&t, 2));
	ck_assert_ptr_nonnull(c = conntab_add(&t, 3));
	ck_assert_int_eq(t.n, 3);
	ck_assert_ptr_eq(t.oldest, a);
	ck_assert_ptr_eq(t.newest, c);
	conntab_touch(&t, a, 9);
	ck_assert_uint_eq(a->active_ms, 9);
	ck_assert_ptr_eq(t.oldest, b);
	ck_assert_ptr_eq(t.newest, a);
	ck_assert_ptr_eq(b->next, c);
	ck_assert_ptr_eq(c->next, a);
	ck_assert_ptr_eq(a->prev, c);
	conntab_remove(&t, c);
	ck_assert_ptr_eq(b->next, a);
	ck_assert_ptr_eq(a->prev, b);
	conntab_remove(&t, b);
	conntab_remove(&t, a);
	ck_assert_int_eq(t.n, 0);
	ck_assert_ptr_null(t.oldest);
	ck_assert_ptr_null(t.newest);
	conntab_free_spares(&t);
}
END_TEST

/* Removed entries are reused, up to the spare limit, then freed. */
START_TEST(conntab_reuses_spares_up_to_the_limit)
{
	struct conn_entry *e[3], *again;
	struct conntab t;
	int i;

	conntab_init(&t, 2);
	for (i = 0; i < 3; i++)
		ck_assert_ptr_nonnull(e[i] = conntab_add(&t, i));
	for (i = 0; i < 3; i++)
		conntab_remove(&t, e[i]);
	ck_assert_uint_eq(t.nspare, 2);
	ck_assert_ptr_nonnull(again = conntab_add(&t, 7));
	ck_assert(again == e[1] || again == e[0]);
	ck_assert(!again->queued);
	ck_assert_uint_eq(again->active_ms, 7);
	ck_assert_uint_eq(t.nspare, 1);
	conntab_remove(&t, again);
	conntab_free_spares(&t);
	ck_assert_uint_eq(t.nspare, 0);
}
END_TEST

/* The run queue gives each connection its turn in the order queued. */
START_TEST(conntab_queue_keeps_order)
{
	struct conn_entry *a, *b, *q;
	struct conntab t;

	conntab_init(&t, 0);
	a = conntab_add(&t, 0);
	b = conntab_add(&t, 0);
	conntab_queue(&t, b);
	conntab_queue(&t, a);
	ck_assert(a->queued && b->queued);
	q = conntab_take_queue(&t);
	ck_assert_ptr_null(t.runq);
	ck_assert_ptr_null(t.runq_tail);
	ck_assert_ptr_eq(q, b);
	ck_assert_ptr_eq(q->run_next, a);
	ck_assert_ptr_null(a->run_next);
	conntab_remove(&t, a);
	conntab_remove(&t, b);
	ck_assert_uint_eq(t.nspare, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("conntab");
	TCase *tc = tcase_create("conntab");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, conntab_touch_moves_to_newest);
	tcase_add_test(tc, conntab_reuses_spares_up_to_the_limit);
	tcase_add_test(tc, conntab_queue_keeps_order);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
