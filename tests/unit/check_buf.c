/* check_buf.c: the buffer pool lends, recycles and caps what it keeps and lends. */

#include <stdlib.h>

#include <check.h>

#include "buf.h"

START_TEST(buf_pool_recycles_returned_buffers)
{
	struct buf_pool p;
	struct buf *a, *b;

	buf_pool_init(&p, 4, 2);
	ck_assert_ptr_nonnull(a = buf_get(&p));
	ck_assert_uint_eq(p.small.nlent, 1);
	ck_assert_uint_eq(buf_pending(a), 0);
	ck_assert_uint_eq(buf_space(a), BUF_SIZE);
	a->len = 10;
	a->off = 4;
	buf_put(&p, a);
	ck_assert_uint_eq(p.small.nlent, 0);
	ck_assert_uint_eq(p.small.nfree, 1);
	/* The same memory comes back, reset: no malloc per message. */
	ck_assert_ptr_eq(b = buf_get(&p), a);
	ck_assert_uint_eq(buf_pending(b), 0);
	ck_assert_uint_eq(b->off, 0);
	buf_put(&p, b);
	buf_pool_clear(&p);
	ck_assert_uint_eq(p.small.nfree, 0);
}
END_TEST

START_TEST(buf_pool_keeps_at_most_max_free)
{
	struct buf_pool p;
	struct buf *bufs[10];
	int i;

	buf_pool_init(&p, 3, 2);
	for (i = 0; i < 10; i++)
		ck_assert_ptr_nonnull(bufs[i] = buf_get(&p));
	ck_assert_uint_eq(p.small.nlent, 10);
	for (i = 0; i < 10; i++)
		buf_put(&p, bufs[i]);
	/* A burst's buffers go back to malloc beyond the cap. */
	ck_assert_uint_eq(p.small.nfree, 3);
	ck_assert_uint_eq(p.small.nlent, 0);
	buf_pool_clear(&p);
}
END_TEST

/* Large buffers are lent up to the cap, then refused; small ones never. */
START_TEST(buf_pool_lends_large_up_to_the_cap)
{
	struct buf_pool p;
	struct buf *a, *b, *c, *s;

	buf_pool_init(&p, 4, 2);
	ck_assert_ptr_nonnull(a = buf_get_large(&p));
	ck_assert_uint_eq(a->cap, BUF_LARGE);
	ck_assert_uint_eq(buf_space(a), BUF_LARGE);
	/* The whole of it is ours to write: ASan says if it is not. */
	a->data[BUF_LARGE - 1] = 1;
	ck_assert_ptr_nonnull(b = buf_get_large(&p));
	ck_assert_ptr_null(buf_get_large(&p));
	ck_assert_ptr_nonnull(s = buf_get(&p));	/* small ones still lent */
	ck_assert_uint_eq(buf_space(s), BUF_SIZE);
	ck_assert_uint_eq(p.large.nlent, 2);
	ck_assert_uint_eq(p.small.nlent, 1);
	/* Each goes back to its own shelf. */
	buf_put(&p, a);
	buf_put(&p, s);
	ck_assert_uint_eq(p.large.nlent, 1);
	ck_assert_uint_eq(p.large.nfree, 1);
	ck_assert_uint_eq(p.small.nfree, 1);
	ck_assert_ptr_eq(c = buf_get_large(&p), a);
	ck_assert_uint_eq(c->len, 0);
	buf_put(&p, b);
	buf_put(&p, c);
	buf_pool_clear(&p);
	ck_assert_uint_eq(p.large.nfree, 0);
	/* A cap of 0: no large buffer at all. */
	buf_pool_init(&p, 4, 0);
	ck_assert_ptr_null(buf_get_large(&p));
	buf_pool_clear(&p);
}
END_TEST

/*
 * A buffer of neither size is freed, not shelved (the next buf_get would
 * lend it as 16 KiB), and a put with nothing lent leaves the count at 0
 * rather than wrapping it (which would refuse every buf_get after).
 */
START_TEST(buf_pool_refuses_foreign_buffers)
{
	struct buf_pool p;
	struct buf *odd, *a;

	buf_pool_init(&p, 4, 2);
	ck_assert_ptr_nonnull(odd = malloc(sizeof(*odd) + 4096));
	odd->cap = 4096;
	buf_put(&p, odd);
	ck_assert_uint_eq(p.small.nfree, 0);
	ck_assert_uint_eq(p.large.nfree, 0);
	ck_assert_uint_eq(p.small.nlent, 0);
	ck_assert_ptr_nonnull(a = malloc(sizeof(*a) + BUF_SIZE));
	a->cap = BUF_SIZE;
	buf_put(&p, a);
	ck_assert_uint_eq(p.small.nlent, 0);
	ck_assert_ptr_nonnull(a = buf_get(&p));
	ck_assert_uint_eq(p.small.nlent, 1);
	buf_put(&p, a);
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
	tcase_add_test(tc, buf_pool_lends_large_up_to_the_cap);
	tcase_add_test(tc, buf_pool_refuses_foreign_buffers);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
