/* check_buf.c: the buffer pool lends, recycles and caps what it keeps. */

#include <stdlib.h>

#include <check.h>

#include "buf.h"

START_TEST(buf_pool_recycles_returned_buffers)
{
	struct buf_pool p;
	struct buf *a, *b;

	buf_pool_init(&p, 4);
	ck_assert_ptr_nonnull(a = buf_get(&p));
	ck_assert_uint_eq(p.nlent, 1);
	ck_assert_uint_eq(buf_pending(a), 0);
	ck_assert_uint_eq(buf_space(a), BUF_SIZE);
	a->len = 10;
	a->off = 4;
	buf_put(&p, a);
	ck_assert_uint_eq(p.nlent, 0);
	ck_assert_uint_eq(p.nfree, 1);
	/* The same memory comes back, reset: no malloc per message. */
	ck_assert_ptr_eq(b = buf_get(&p), a);
	ck_assert_uint_eq(buf_pending(b), 0);
	ck_assert_uint_eq(b->off, 0);
	buf_put(&p, b);
	buf_pool_clear(&p);
	ck_assert_uint_eq(p.nfree, 0);
}
END_TEST

START_TEST(buf_pool_keeps_at_most_max_free)
{
	struct buf_pool p;
	struct buf *bufs[10];
	int i;

	buf_pool_init(&p, 3);
	for (i = 0; i < 10; i++)
		ck_assert_ptr_nonnull(bufs[i] = buf_get(&p));
	ck_assert_uint_eq(p.nlent, 10);
	for (i = 0; i < 10; i++)
		buf_put(&p, bufs[i]);
	/* A burst's buffers go back to malloc beyond the cap. */
	ck_assert_uint_eq(p.nfree, 3);
	ck_assert_uint_eq(p.nlent, 0);
	buf_pool_clear(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("buf");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, buf_pool_recycles_returned_buffers);
	tcase_add_test(tc, buf_pool_keeps_at_most_max_free);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
