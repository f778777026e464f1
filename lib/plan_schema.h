/* plan_schema.h: the helpers a plan section's parser reads the YAML with.
 *
 * lib/ loads a plan (plan.c) but does not know the steps: each step module
 * (steps/) parses its own section through these helpers, and the parsers
 * reach plan_load() as a table of struct plan_section, in step order
 * (steps/step.h step_plan_load() builds it from step_registry).
 *
 * Every p*() parser takes the loading context, a node of the YAML tree
 * (ynode.h) and where to store the result. It returns 0, or -EINVAL with
 * "FILE:LINE:COL: message" in c->d. A NULL or null node means "not given":
 * callers check that before calling. Strings that may hold ${name} are
 * recorded with their position (pref_add) and checked once the whole file is
 * read, because ask: may come after the strings that use its keys.
 */
#ifndef UPSHIFT_PLAN_SCHEMA_H
#define UPSHIFT_PLAN_SCHEMA_H

#include "lib/plan.h"
#include "lib/ynode.h"

/* A name used somewhere and checked at the end (fact names, answer keys). */
struct pname {
        char       *name;
        struct pos  pos;
};

struct pnames {
        struct pname *v;
        size_t        n;
        size_t        alloc;
};

struct pctx {
        const char      *file;
        struct diag     *d;
        struct plan     *p;
        void            *data;          /* the section's own data (plan_section), or NULL */
        struct pnames    refs;          /* strings holding ${...} */
        struct pnames    argv_refs;     /* those of them in a command's argv */
        struct pnames    facts_used;    /* same:, when: facts: */
        struct pnames    answers_used;  /* when: answers: */
        struct question *cl;            /* checklist questions, appended at the end */
        size_t           n_cl;
        size_t           alloc_cl;
};

/* Flags for pcmd_fields(). */
enum {
        PCMD_NO_TIMEOUT = 1 << 0,       /* timeout: belongs to the caller (ready:) */
        PCMD_NO_WHEN    = 1 << 1,       /* when: belongs to the caller (checks) */
};

/* One step's section of the plan: the value of its key ("backup:").
 * plan_load() marks the step present and reads checklist: and confirm:
 * first. With keys set, a null value is "nothing more" and a mapping must
 * use only keys (and checklist:, confirm:), then parse (when set) reads it.
 * With keys NULL, parse gets every value, null too, and checks its keys
 * itself (psection_keys). parse fills the step's part of c->p: its
 * sub-struct of struct plan, or, with data_size set, its own data in
 * c->data, which the plan keeps (zeroed when the section is not in the
 * plan) and plan_free() releases with release (which frees what the data
 * holds, not the data). */
struct plan_section {
        const char *const *keys;        /* NULL-terminated, without checklist/confirm */
        int  (*parse)(struct pctx *c, const struct ynode *n);
        size_t data_size;               /* 0: the step keeps nothing of its own */
        void (*release)(void *data);    /* or NULL */
};

/* pkeys() for a step's section: own keys, then checklist and confirm. */
int  psection_keys(struct pctx *c, const struct ynode *n, const char *const *own,
                   const char *where);
/* The commands of key in mapping n into l, when given. */
int  popt_cmdlist(struct pctx *c, const struct ynode *n, const char *key,
                  struct cmdlist *l);

/* plan_step.c */
int  pcheck(struct pctx *c, const struct ynode *n, struct check *ret);
/* A list of CHECK. */
int  pchecks(struct pctx *c, const struct ynode *n, struct check **ret, size_t *ret_n);
int  pready(struct pctx *c, const struct ynode *n, struct ready_spec *ret);

/* plan_schema.c: scalars and keys */
struct pos pnode_pos(const struct ynode *n);
int  perr(struct pctx *c, const struct ynode *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* The value of key in map, or NULL when it is missing or null. */
struct ynode *popt(const struct ynode *map, const char *key);
/* Check that n is a mapping whose keys are all in allowed (NULL-terminated);
 * where names the mapping in messages ("a command"). */
int  pkeys(struct pctx *c, const struct ynode *n, const char *const *allowed,
           const char *where);
void pref_add(struct pctx *c, const char *s, const struct ynode *n);
void pname_add(struct pnames *l, const char *name, const struct ynode *n);
int  pstr(struct pctx *c, const struct ynode *n, char **ret);        /* records refs */
int  pstrv(struct pctx *c, const struct ynode *n, struct strv *ret); /* records refs */
int  pbool(struct pctx *c, const struct ynode *n, bool *ret);
int  pint(struct pctx *c, const struct ynode *n, long *ret);
int  pduration(struct pctx *c, const struct ynode *n, long *ret);
int  pregex(struct pctx *c, const struct ynode *n, char **ret);      /* records refs */
int  penv(struct pctx *c, const struct ynode *n, struct kvlist *ret);
int  pversion(struct pctx *c, const struct ynode *n, char **ret);
/* "missing required key "KEY" in WHERE" at n; returns -EINVAL. */
int  pmissing(struct pctx *c, const struct ynode *n, const char *key, const char *where);
/* [a-z_][a-z0-9_]*, or with plan_id [a-z0-9][a-z0-9_-]*. */
bool pis_key(const char *s, bool plan_id);

/* plan_cmd.c: commands */
/* The fields of a command in mapping n (run, shell, env, cwd, timeout, match,
 * ignore, lines, may_fail, when); the caller checks the keys. run_index < 0:
 * run: must be one argv; else run: is a list of argvs and this takes item
 * run_index. */
int  pcmd_fields(struct pctx *c, const struct ynode *n, struct cmd *cmd,
                 unsigned flags, int run_index);
/* Where a command key is allowed besides a command mapping (pcmd_keys()). */
enum {
        PCMD_IN_CHECK = 1 << 0,         /* a check with run: or shell: */
        PCMD_IN_FACT  = 1 << 1,         /* a fact of detect */
        PCMD_IN_READY = 1 << 2,         /* ready: with run: or shell: */
        PCMD_IN_HTTP  = 1 << 3,         /* ready: with http: too */
        PCMD_IN_RUN   = 1 << 4,         /* run: and shell: themselves */
};
/* The command keys allowed in every place of in and in none of not_in
 * (in 0: every command key), then own (NULL-terminated, or NULL): a new
 * NULL-terminated array for pkeys(), to free(); the strings are static. */
const char **pcmd_keys(unsigned in, unsigned not_in, const char *const *own);
/* One COMMAND: an argv list or a command mapping. */
int  pcmd(struct pctx *c, const struct ynode *n, struct cmd *cmd);
/* Same, into a new struct cmd. */
int  pcmd_new(struct pctx *c, const struct ynode *n, struct cmd **ret);
/* COMMANDS: one argv, or a list of COMMAND (mappings may expand to several). */
int  pcmdlist(struct pctx *c, const struct ynode *n, struct cmdlist *ret);
int  pcond(struct pctx *c, const struct ynode *n, struct cond *ret);

/* plan_value.c: what a command's output and a fact are compared with */
/* reject: and stream: of command mapping n. */
int  pcmd_output(struct pctx *c, const struct ynode *n, struct cmd *cmd);
/* at_least:, at_most:, differs: and within: of check mapping n. */
int  pcheck_compare(struct pctx *c, const struct ynode *n, struct check *ck);
/* A shell: script: kept as written, its ${...} the shell's (no plan
 * reference is recorded); "$fact_NAME" must name a declared fact, and a
 * ${a.b} the shell cannot read is an error that says what to write. */
int  pshell(struct pctx *c, const struct ynode *n, char **ret);
/* True when check mapping n compares a fact (same:, at_least:, ...). */
bool pcheck_has_compare(const struct ynode *n);

/* plan_disable.c: disconnect: disable: (a list of systemd:/crontab: items) */
int  pdisable(struct pctx *c, const struct ynode *n);
void disable_release(struct disable_item *v, size_t n);

void cmd_release(struct cmd *cmd);
void cmd_free(struct cmd *cmd);
void cmdlist_release(struct cmdlist *l);
void cond_release(struct cond *cond);
void check_release(struct check *ck);

#endif
