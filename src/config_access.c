/* config_access.c: access lists and per-source exemptions: load, apply. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "acl.h"
#include "config.h"
#include "config_get.h"

static const char *access_keys[] = { "allow", "deny", NULL };

static struct acl *load_cidrs(struct loader *, const config_setting_t *,
		    const char *, const char *);
static void	 set_acl(struct acl **, struct acl *);

/* The list `name`, called `key` in messages, as an acl; NULL if not. */
static struct acl *
load_cidrs(struct loader *l, const config_setting_t *group, const char *name,
    const char *key)
{
	const config_setting_t *s, *e;
	struct acl_prefix *p = NULL;
	struct acl *a = NULL;
	const char *text;
	int i, n, t, bad = 0;

	if ((s = config_setting_get_member(group, name)) == NULL)
		return NULL;
	t = config_setting_type(s);
	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
		config_diag(l, s, "%s: expected an array like "
		    "[ \"192.0.2.0/24\", \"2001:db8::/32\" ], got %s", key,
		    config_type_name(t));
		return NULL;
	}
	n = config_setting_length(s);
	if (n > 0 && (p = calloc(n, sizeof(*p))) == NULL) {
		config_diag(l, s, "%s: %s", key, strerror(errno));
		return NULL;
	}
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		if ((text = config_setting_get_string(e)) == NULL) {
			config_diag(l, e, "%s: expected a CIDR string, got %s",
			    key, config_type_name(config_setting_type(e)));
			bad++;
			continue;
		}
		switch (acl_parse(text, &p[i])) {
		case ACL_PARSE_OK:
			continue;
		case ACL_PARSE_SYNTAX:
			config_diag(l, e, "%s: \"%s\" is not an address or a "
			    "prefix like \"192.0.2.0/24\" or \"2001:db8::/32\"",
			    key, text);
			break;
		case ACL_PARSE_LENGTH:
			config_diag(l, e, "%s: \"%s\": the prefix length is "
			    "out of range (0..32 for IPv4, 0..128 for IPv6)",
			    key, text);
			break;
		case ACL_PARSE_HOST_BITS:
			config_diag(l, e, "%s: \"%s\" has bits set past its "
			    "prefix length (give the network address)", key,
			    text);
			break;
		}
		bad++;
	}
	if (bad == 0 && (a = acl_create(p, n)) == NULL)
		config_diag(l, s, "%s: %s", key, strerror(errno));
	free(p);
	return a;
}

/* Replace `*slot` only with a list that loaded. */
static void
set_acl(struct acl **slot, struct acl *a)
{
	if (a == NULL)
		return;
	acl_destroy(*slot);
	*slot = a;
}

void
config_load_access(struct loader *l, const config_setting_t *root)
{
	const config_setting_t *ac;

	set_acl(&l->cf->exempt, load_cidrs(l, root, "per_source_exempt",
	    "per_source_exempt"));
	config_get_int(l, root, "", "per_source_ipv6_prefix", 32, 128,
	    &l->cf->ps_v6_prefix);
	if ((ac = config_member(l, root, "", "access",
	    CONFIG_TYPE_GROUP)) == NULL)
		return;
	config_check_keys(l, ac, "access.", access_keys);
	set_acl(&l->cf->allow, load_cidrs(l, ac, "allow", "access.allow"));
	set_acl(&l->cf->deny, load_cidrs(l, ac, "deny", "access.deny"));
}

/*
 * An address is served when the allow list is empty or holds it, and the
 * deny list does not: a denied address inside an allowed prefix is denied.
 */
bool
config_permits(const struct config *cf, const struct addr_key *k)
{
	return (acl_ranges(cf->allow) == 0 || acl_match(cf->allow, k)) &&
	    !acl_match(cf->deny, k);
}

/* What per-source limits count `k` as: an IPv6 source by its prefix. */
struct addr_key
config_limit_key(const struct config *cf, const struct addr_key *k)
{
	struct addr_key lk = *k;

	addr_key_prefix(&lk, cf->ps_v6_prefix);
	return lk;
}
