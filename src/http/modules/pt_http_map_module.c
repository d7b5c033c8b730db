/* SPDX-License-Identifier: BSD-2-Clause */
/* The map block: a variable whose value is looked up from another's. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"

/*
 * Directive:
 *
 *   map string $variable { ... }            context: http
 *
 * Each line of the block is "key value;", "default value;", "hostnames;",
 * "volatile;" or "include file;".  Keys are matched against string (which
 * may hold variables) when $variable is first used by a request: exact
 * keys (case-insensitive), then, with hostnames, wildcard names like
 * server_name's ("*.example.com", ".example.com", "www.example.*"), then
 * "~regex" / "~*regex" keys in config order, whose captures the value may
 * use.  Values are text with variables.  The result is cached for the
 * request unless the block says volatile.
 */

typedef struct {
    pt_regex_t               *regex;
    pt_http_complex_value_t  *value;
} map_regex_t;

typedef struct {
    pt_http_complex_value_t   source;
    pt_hash_t                 exact;      /* lower-case keys */
    pt_hash_wildcard_t        wildcards;
    map_regex_t              *regexes;
    size_t                    nregexes;
    pt_http_complex_value_t  *default_value;   /* NULL: empty */
    unsigned                  hostnames:1;
    unsigned                  wildcard:1;
} map_t;

/* The state of one block while it is parsed. */
typedef struct {
    map_t        *map;
    pt_array_t   *exact;      /* pt_hash_key_t */
    pt_array_t   *wild;       /* pt_hash_key_t */
    pt_array_t   *regexes;    /* map_regex_t */
    bool          is_volatile;
} map_parse_t;


static int map_block(pt_conf_t *cf, const pt_command_t *cmd, void *conf);


static const pt_command_t  map_commands[] = {
    { .name = "map", .ctx = PT_HTTP_MAIN,
      .args = PT_CONF_BLOCK | PT_CONF_TAKE2, .set = map_block },
    PT_COMMAND_END
};

static const pt_http_module_t  map_module_ctx = { .main_conf_size = 0 };

pt_module_t  pt_http_map_module = {
    .name = "pt_http_map_module",
    .type = PT_HTTP_MODULE,
    .commands = map_commands,
    .ctx = &map_module_ctx,
};


/* Sets *found to the value for the source text s (NULL: no key matches). */
static int
map_find(pt_http_request_t *r, map_t *map, pt_str_t *s,
    pt_http_complex_value_t **found)
{
    u_char  *low;
    size_t   i;
    int      rc;

    low = pt_pnalloc(r->pool, s->len + 1);
    if (low == NULL) {
        return PT_ERROR;
    }

    pt_strlow(low, s->data, s->len);

    *found = pt_hash_find(&map->exact, pt_hash_key(low, s->len), low, s->len);

    if (*found == NULL && map->wildcard) {
        *found = pt_hash_wildcard_find(&map->wildcards, low, s->len);
    }

    for (i = 0; *found == NULL && i < map->nregexes; i++) {
        rc = pt_http_regex_exec(r, map->regexes[i].regex, s);

        if (rc == PT_ERROR) {
            return PT_ERROR;
        }

        if (rc == PT_OK) {
            *found = map->regexes[i].value;
        }
    }

    return PT_OK;
}


/* The getter of a map's variable: data is the map_t. */
static int
map_variable(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    map_t                    *map = (map_t *) data;
    pt_http_complex_value_t  *cv;
    pt_str_t                  s, value;

    if (pt_http_complex_value(r, &map->source, &s) != PT_OK) {
        return PT_ERROR;
    }

    /* a host name's trailing dot names the same host */
    if (map->hostnames && s.len && s.data[s.len - 1] == '.') {
        s.len--;
    }

    if (map_find(r, map, &s, &cv) != PT_OK) {
        return PT_ERROR;
    }

    if (cv == NULL) {
        cv = map->default_value;
    }

    pt_str_set(&value, "");

    if (cv != NULL && pt_http_complex_value(r, cv, &value) != PT_OK) {
        return PT_ERROR;
    }

    v->len = (unsigned) value.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->escape = 0;
    v->data = value.data;

    return PT_OK;
}


static pt_http_complex_value_t *
map_value(pt_conf_t *cf, const pt_str_t *text)
{
    pt_http_complex_value_t  *cv;

    cv = pt_palloc(cf->pool, sizeof(pt_http_complex_value_t));
    if (cv == NULL || pt_http_compile_complex_value(cf, text, cv) != PT_OK) {
        return NULL;
    }

    return cv;
}


/* "~re" and "~*re" keys. */
static int
map_add_regex(pt_conf_t *cf, map_parse_t *mp, const pt_str_t *key,
    pt_http_complex_value_t *value)
{
    map_regex_t         *mr;
    pt_regex_compile_t   rc = { .pool = cf->pool };

    rc.pattern.data = key->data + 1;
    rc.pattern.len = key->len - 1;

    if (rc.pattern.len && rc.pattern.data[0] == '*') {
        rc.caseless = true;
        rc.pattern.data++;
        rc.pattern.len--;
    }

    if (pt_regex_compile(&rc) != PT_OK) {
        return pt_conf_error(cf, "%s", rc.err);
    }

    if (pt_http_regex_add_vars(cf, rc.regex) != PT_OK) {
        return PT_ERROR;
    }

    mr = pt_array_push(mp->regexes);
    if (mr == NULL) {
        return PT_ERROR;
    }

    mr->regex = rc.regex;
    mr->value = value;

    return PT_OK;
}


/* True for "*.example.com", ".example.com" and "www.example.*". */
static bool
map_is_wildcard(const pt_str_t *k, bool *valid)
{
    u_char  *star;
    size_t   n;

    star = memchr(k->data, '*', k->len);

    if (star == NULL && (k->len == 0 || k->data[0] != '.')) {
        *valid = true;
        return false;
    }

    n = 0;

    for (size_t i = 0; i < k->len; i++) {
        n += k->data[i] == '*';
    }

    *valid = k->len > 1
             && ((k->data[0] == '.' && n == 0)
                 || (k->len > 2 && k->data[0] == '*' && k->data[1] == '.'
                     && n == 1)
                 || (k->len > 2 && k->data[k->len - 1] == '*'
                     && k->data[k->len - 2] == '.' && n == 1));

    return true;
}


/* A plain key: exact, or a wildcard name with hostnames. */
static int
map_add_key(pt_conf_t *cf, map_parse_t *mp, pt_str_t *key,
    pt_http_complex_value_t *value)
{
    pt_hash_key_t  *hk;
    pt_array_t     *a;
    bool            valid;
    u_char         *low;

    a = mp->exact;

    if (mp->map->hostnames && map_is_wildcard(key, &valid)) {
        if (!valid) {
            return pt_conf_error(cf, "invalid hostname or wildcard \""
                                 PT_STR_FMT "\"", PT_STR_ARG(*key));
        }

        a = mp->wild;
    }

    low = pt_pnalloc(cf->pool, key->len + 1);
    if (low == NULL) {
        return PT_ERROR;
    }

    pt_strlow(low, key->data, key->len);
    low[key->len] = '\0';

    hk = pt_array_push(a);
    if (hk == NULL) {
        return PT_ERROR;
    }

    hk->key.data = low;
    hk->key.len = key->len;
    hk->key_hash = a == mp->exact ? pt_hash_key(low, key->len) : 0;
    hk->value = value;

    return PT_OK;
}


/* One line of a map block (cf->handler). */
static int
map_entry(pt_conf_t *cf, void *data)
{
    map_parse_t              *mp = data;
    pt_http_complex_value_t  *value;
    pt_str_t                  key;

    key = pt_conf_arg(cf, 0);

    if (pt_conf_nargs(cf) == 1 && pt_str_caseeq_lit(&key, "hostnames")) {
        mp->map->hostnames = 1;
        return PT_OK;
    }

    if (pt_conf_nargs(cf) == 1 && pt_str_caseeq_lit(&key, "volatile")) {
        mp->is_volatile = true;
        return PT_OK;
    }

    if (pt_conf_nargs(cf) != 2) {
        return pt_conf_error(cf, "invalid number of the map parameters");
    }

    if (pt_str_caseeq_lit(&key, "include")) {
        return pt_conf_include(cf, &pt_conf_arg(cf, 1));
    }

    value = map_value(cf, &pt_conf_arg(cf, 1));
    if (value == NULL) {
        return PT_ERROR;
    }

    if (key.len == 7 && memcmp(key.data, "default", 7) == 0) {
        if (mp->map->default_value != NULL) {
            return pt_conf_error(cf, "duplicate default map parameter");
        }

        mp->map->default_value = value;
        return PT_OK;
    }

    if (key.len > 1 && key.data[0] == '~') {
        return map_add_regex(cf, mp, &key, value);
    }

    /* "\default", "\~x", "\hostnames": the key as written after '\' */
    if (key.len && key.data[0] == '\\') {
        key.data++;
        key.len--;
    }

    return map_add_key(cf, mp, &key, value);
}


static int
map_cmp_keys(const void *a, const void *b)
{
    const pt_hash_key_t  *x = a, *y = b;
    size_t                n = x->key.len < y->key.len ? x->key.len : y->key.len;
    int                   rc = memcmp(x->key.data, y->key.data, n);

    if (rc != 0) {
        return rc;
    }

    return (x->key.len > y->key.len) - (x->key.len < y->key.len);
}


/* Refuses a key given twice (nginx: "conflicting parameter"). */
static int
map_check_duplicates(pt_conf_t *cf, pt_array_t *keys)
{
    pt_hash_key_t  *k, *sorted;
    size_t          i, n;

    n = keys->nelts;

    if (n < 2) {
        return PT_OK;
    }

    sorted = pt_palloc(cf->temp_pool, n * sizeof(pt_hash_key_t));
    if (sorted == NULL) {
        return PT_ERROR;
    }

    k = keys->elts;
    pt_memcpy(sorted, k, n * sizeof(pt_hash_key_t));
    qsort(sorted, n, sizeof(pt_hash_key_t), map_cmp_keys);

    for (i = 1; i < n; i++) {
        if (pt_str_eq(&sorted[i - 1].key, &sorted[i].key)) {
            return pt_conf_error(cf, "conflicting parameter \"" PT_STR_FMT
                                 "\"", PT_STR_ARG(sorted[i].key));
        }
    }

    return PT_OK;
}


/* Builds the lookup structures of a parsed block. */
static int
map_build(pt_conf_t *cf, map_parse_t *mp)
{
    map_t  *map = mp->map;

    if (map_check_duplicates(cf, mp->exact) != PT_OK
        || map_check_duplicates(cf, mp->wild) != PT_OK)
    {
        return PT_ERROR;
    }

    if (pt_hash_init(&map->exact, mp->exact->elts, mp->exact->nelts,
                     cf->pool)
        != PT_OK)
    {
        return PT_ERROR;
    }

    if (mp->wild->nelts) {
        map->wildcard = 1;

        if (pt_hash_wildcard_init(&map->wildcards, mp->wild->elts,
                                  mp->wild->nelts, cf->pool)
            != PT_OK)
        {
            return pt_conf_error(cf, "invalid wildcards in map");
        }
    }

    map->regexes = mp->regexes->elts;
    map->nregexes = mp->regexes->nelts;

    return PT_OK;
}


/* map string $variable { ... } */
static int
map_block(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    pt_http_variable_t  *v;
    map_parse_t          mp;
    pt_conf_t            saved;
    int                  rc;

    memset(&mp, 0, sizeof(mp));

    mp.map = pt_pcalloc(cf->pool, sizeof(map_t));
    mp.exact = pt_array_create(cf->pool, 16, sizeof(pt_hash_key_t));
    mp.wild = pt_array_create(cf->pool, 4, sizeof(pt_hash_key_t));
    mp.regexes = pt_array_create(cf->pool, 4, sizeof(map_regex_t));

    if (mp.map == NULL || mp.exact == NULL || mp.wild == NULL
        || mp.regexes == NULL)
    {
        return PT_ERROR;
    }

    if (pt_http_compile_complex_value(cf, &pt_conf_arg(cf, 1),
                                      &mp.map->source)
        != PT_OK)
    {
        return PT_ERROR;
    }

    v = pt_http_add_dollar_variable(cf, &pt_conf_arg(cf, 2));
    if (v == NULL) {
        return PT_ERROR;
    }

    v->get = map_variable;
    v->data = (uintptr_t) mp.map;

    saved = *cf;
    cf->handler = map_entry;
    cf->handler_data = &mp;

    rc = pt_conf_parse(cf, NULL);

    saved.file = cf->file;
    *cf = saved;

    if (rc != PT_OK || map_build(cf, &mp) != PT_OK) {
        return PT_ERROR;
    }

    if (mp.is_volatile) {
        v->flags |= PT_HTTP_VAR_NOCACHEABLE;
    }

    return PT_OK;
}
