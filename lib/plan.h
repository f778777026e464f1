/* plan.h: a product's upgrade procedure, loaded from YAML.
 *
 * plan_load() reads a plan file with libyaml, checks it against the schema
 * (man/upshift-plan.5) and returns a struct plan. Every error names the
 * file, line and column and what was expected:
 *     redis.yaml:12:5: unknown key "mtach" in a command (did you mean "match"?)
 * The whole plan is owned by the struct; plan_free() releases it.
 * Strings keep their ${name} references: they are expanded at run time
 * against a struct vars (vars.h). Every ${name} is checked at load to be a
 * built-in variable (vars_builtin), a question key (ask:), or a checklist key.
 */
#ifndef UPSHIFT_PLAN_H
#define UPSHIFT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/diag.h"
#include "lib/upshift.h"
#include "lib/util.h"
#include "lib/version.h"

/* Where something stands in the plan file (1-based; 0 = unknown). */
struct pos {
        unsigned line;
        unsigned col;
};

enum qtype {
        Q_STRING,
        Q_INTEGER,
        Q_FILE,         /* an existing regular file */
        Q_DIR,          /* a directory (need not exist yet) */
        Q_YESNO,        /* yes/no, true/false; stored as "yes" or "no" */
        Q_CHOICE,       /* one of choices[] */
        Q_SECRET,       /* never written to journal, logs or answers.yaml */
        Q_SHA256,       /* 64 hex digits (empty allowed when not required) */
        Q_CONFIRM,      /* a checklist item: must be answered yes to go on */
};

/* Name of a question type as written in plans ("file"), and back. */
const char *qtype_name(enum qtype t);
int         qtype_from_name(const char *name);      /* -1 if unknown */

struct question {
        char        *key;               /* [a-z_][a-z0-9_]* */
        char        *text;              /* the question, as shown */
        char        *help;              /* longer help, or NULL */
        enum qtype   type;
        char        *def;               /* default value (may hold ${...}), or NULL */
        bool         required;          /* default: true when def is NULL */
        bool         per_hop;           /* one value per hop of the path (answers.h) */
        struct strv  choices;           /* Q_CHOICE only */
        long         min, max;          /* Q_INTEGER: the values allowed (min:, max:;
                                           by default 0 to INT32_MAX) */
        enum step_id step;              /* STEP_NONE for ask:, else the checklist's step */
        struct pos   pos;
};

/* A when: condition. Every part that is set must hold. */
struct cond {
        bool           set;             /* false: always true */
        struct vrange *version;         /* installed version, or NULL */
        struct vrange *target;          /* target of the current hop, or NULL */
        struct kvlist  facts;           /* fact name -> regex its value must match */
        struct kvlist  answers;         /* answer key -> exact value */
        struct pos     pos;
};

/* Which of a command's outputs match:, reject:, ignore: and lines: read. */
enum cmd_stream {
        STREAM_STDOUT,          /* the default */
        STREAM_STDERR,          /* its last 4 KiB */
        STREAM_BOTH,            /* stdout, then the last 4 KiB of stderr */
};

/* How a check compares a fact with the value detect captured. */
enum fact_cmp {
        FACT_SAME,              /* same: (within: a fraction of it, for numbers) */
        FACT_AT_LEAST,          /* at_least: now >= before, as numbers */
        FACT_AT_MOST,           /* at_most: now <= before, as numbers */
        FACT_DIFFERS,           /* differs: now != before */
};

/* A command. Either argv (run:) or shell (shell:), never both. */
struct cmd {
        struct strv   argv;             /* argv.n == 0 when shell is set */
        char         *shell;            /* run with /bin/sh -c; variables only via env */
        struct kvlist env;              /* extra environment (values may hold ${...}) */
        char         *cwd;              /* working directory, or NULL */
        long          timeout_ms;       /* 0: the default (10 minutes) */
        char         *match;            /* regex its stdout must match, or NULL */
        char         *ignore;           /* regex of output lines to leave out, or NULL */
        char         *reject;           /* regex: the command fails when its output matches */
        enum cmd_stream stream;         /* the output that match: and the others read */
        bool          lines;            /* the value is the list of lines (sorted) */
        bool          may_fail;         /* a non-zero exit is not an error */
        char         *foreach;          /* fact name: run once per line, as ${item}; or NULL */
        struct cmd   *undo;             /* undo: what reverts it once it has run (argv, with
                                           this one's env, cwd and timeout), or NULL; its
                                           pos is the undo: value's */
        struct cond   when;
        struct pos    pos;
};

struct cmdlist {
        struct cmd *v;
        size_t      n;
};

/* A named value captured in detect and compared again in verify. */
struct fact {
        char       *name;
        struct cmd  cmd;                /* run/shell + match/ignore/lines */
        bool        counts;             /* counts: true: it counts the data (rows,
                                           keys), counted again at the backup */
        struct pos  pos;
};

/* One check: in detect a failing check is an inhibitor, in verify a failure. */
struct check {
        struct cond  when;
        struct cmd  *cmd;               /* run:/shell: with optional match:, or NULL */
        char        *same;              /* fact name compared with detect's (cmp), or NULL */
        enum fact_cmp cmp;              /* same:, at_least:, at_most: or differs: */
        double       within;            /* same: may differ by this fraction (0.05), or 0 */
        char        *fail;              /* message when it fails (detect: an inhibitor) */
        char        *warn;              /* message when it fails, but go on */
        struct pos   pos;
};

/* A migration: commands run when its condition holds. */
struct migration {
        struct cond     when;
        struct cmdlist  run;
        char           *point_of_no_return;   /* message, or NULL */
        struct cmd     *probe;                /* "already done?" command, or NULL */
        bool            keeps_data;           /* changes_data: false: not confirmed, run
                                                 again when interrupted */
        bool            online;               /* runs in verify, once the service is ready */
        struct pos      pos;
};

/* disconnect: disable: one item. Facts journaled: see steps/disable.h. */
enum disable_kind {
        DISABLE_SYSTEMD,        /* a unit or timer (or a glob pattern of them) */
        DISABLE_CRONTAB,        /* lines of a crontab file matching a regex */
};

struct disable_item {
        enum disable_kind kind;
        char        *unit;              /* systemd: unit name or pattern (may hold ${...}) */
        char        *file;              /* crontab: the file (may hold ${...}) */
        char        *match;             /* crontab: regex of the lines to comment out */
        struct cond  when;
        struct pos   pos;
};

enum svc_manager {
        SVC_NONE,       /* no service: stop/start only run the plan's commands */
        SVC_SYSTEMD,
        SVC_SYSV,
        SVC_OPENRC,
        SVC_PIDFILE,
        SVC_FROM_VAR,   /* manager: "${name}": chosen at run time by an answer */
};

struct service_spec {
        enum svc_manager manager;
        char        *manager_var;       /* the raw "${...}" text when SVC_FROM_VAR */
        char        *name;              /* unit / init script name */
        char        *pidfile;           /* pidfile path (pidfile manager; optional for others) */
        struct cmd  *start;             /* start command (pidfile manager), or NULL */
        struct cmd  *stop;              /* stop command, or NULL: SIGTERM to the pid */
        char        *port;              /* TCP port on 127.0.0.1 to wait for, or NULL */
        long         timeout_ms;        /* stop/start wait; default 60 s */
        struct pos   pos;
};

struct filemap {
        char       *member;             /* path inside the package ("usr/bin/x") */
        size_t      pkg;                /* index in swap.pkgs of its package */
        char       *target;             /* where it goes (may hold ${...}) */
        bool        dir;                /* both end in "/": every file under member */
        struct pos  pos;
};

/* One package of the swap: the files of swap.files[first .. first + n_files). */
struct swap_pkg {
        char       *name;               /* packages:'s key; NULL for the package: form */
        char       *package;            /* package file (may hold ${...}) */
        char       *sha256;             /* expected SHA-256, or NULL */
        size_t      first, n_files;
        struct pos  pos;
};

struct ready_spec {
        struct cmd  *cmd;               /* ready when it exits 0 (and matches), or NULL */
        char        *http;              /* ready when GET answers 2xx, or NULL */
        /* With http: only (NULL, false: not given). */
        char        *ca_file;           /* trust these CAs, not the system's store */
        char        *cert_file;         /* client certificate */
        char        *key_file;          /* its key (NULL: in cert_file) */
        char        *match;             /* regex the answer's body must match */
        bool         follow_redirects;
        long         timeout_ms;        /* default 60 s */
        long         interval_ms;       /* 0: from 50 ms, doubling up to 500 ms */
        struct pos   pos;
};

/* What every step may have besides its own keys. */
struct step_common {
        bool          present;          /* the step's key appears in the plan */
        struct strv   checklist_keys;   /* keys of its Q_CONFIRM questions, in order */
        char         *confirm;          /* extra consequence text for the confirmation */
};

struct plan {
        char  *file;                    /* path it was loaded from */
        int    schema;                  /* 1 */
        char  *id;                      /* [a-z0-9_-]+ */
        char  *title;
        char  *description;             /* or NULL */
        char  *target;                  /* default target version, or NULL */
        char  *min_version;             /* oldest version the plan can upgrade, or NULL */
        enum version_scheme version_scheme;     /* how versions are ordered */
        struct strv   path_stops;       /* mandatory intermediate versions (path: stops:) */

        struct question *ask;           /* ask: items first, then checklist items */
        size_t           n_ask;
        struct kvlist    env;           /* env: given to every command */

        struct service_spec service;
        struct step_common  step[STEP_COUNT];

        struct {
                struct cmd     version; /* run + match (group 1 is the version) */
                struct fact   *facts;
                size_t         n_facts;
                struct check  *checks;
                size_t         n_checks;
        } detect;

        struct {
                struct strv    paths;   /* data paths to archive */
                struct cmdlist before;  /* online backup commands, run first */
                bool           cold;    /* archive after the service has stopped */
                char          *compression;   /* "zstd" (default), "gzip", "xz" */
                int            level;   /* 0: the compressor's default */
                bool           keep_data;     /* restore_on_rollback: false */
        } backup;

        struct {
                struct cmd    *clients; /* lists connected clients, one a line, or NULL */
                long           drain_ms;      /* wait for clients to leave by themselves */
                struct cmdlist kick;    /* then run these to disconnect the rest */
                long           timeout_ms;    /* then wait at most this long for none left */
                struct cmdlist run;     /* other commands */
                struct disable_item *disable;   /* units, timers, crontab lines to disable */
                size_t         n_disable;
        } disconnect;

        struct {
                struct cmdlist run;     /* run instead of the service manager's stop */
        } stop;

        struct {
                /* pkgs[0]'s, not owned (NULL: no package): the whole swap
                 * for the package: form, the first package for packages: */
                char          *package; /* package file (may hold ${...}) */
                char          *sha256;  /* expected SHA-256 (may be "" after expansion) */
                /* Every package (one for the package: form), each owning
                 * its strings; files are in the packages' order. */
                struct swap_pkg *pkgs;
                size_t          n_pkgs;
                struct filemap *files;
                size_t          n_files;
                struct cmdlist  run;    /* vendor installer instead of files */
                bool            allow_setid;    /* accept setuid/setgid members */
                uint64_t        max_bytes;      /* staging limit; 0: 4 GiB */
                bool            hot;    /* swapped while serving: no stop */
                struct cmdlist  reload; /* hot: makes the server re-execute */
        } swap;

        struct {
                struct migration *v;
                size_t            n;
        } migrate;

        struct {
                struct ready_spec ready;
                struct check     *checks;
                size_t            n_checks;
        } verify;

        /* Every command's undo (struct cmd undo), owned by its command. */
        struct {
                const struct cmd **v;
                size_t             n;
        } undos;

        /* A step's own part of the plan, when its module keeps it to itself
         * (struct plan_section data_size): zeroed storage for every such
         * step, present in the plan or not, filled by the step's parser.
         * Read it with plan_step_data(). */
        struct {
                void  *data;
                void (*release)(void *data);
        } own[STEP_COUNT];
};

/* How each step's section is read (plan_schema.h). */
struct plan_section;

/* Load and validate a plan; sections[id] reads the section of step id (lib/
 * does not know the steps: steps/step.h step_plan_load() passes the step
 * modules' parsers). On success *ret is a new plan and 0 is returned.
 * On error returns -EINVAL (or -errno when the file cannot be read) with
 * "FILE:LINE:COL: what is wrong (what was expected)" in d. */
int  plan_load(const char *path, const struct plan_section *sections,
               struct plan **ret, struct diag *d);
void plan_free(struct plan *p);

/* The own part of step id (struct plan own), or NULL when its module keeps
 * none. */
const void *plan_step_data(const struct plan *p, enum step_id id);

/* The undo: whose value is at line:col of the plan, or NULL. */
const struct cmd *plan_undo_at(const struct plan *p, unsigned line, unsigned col);

/* The question with that key, or NULL. */
const struct question *plan_question(const struct plan *p, const char *key);

/* Resolve PLAN as given on the command line: a path (contains '/' or ends in
 * .yaml/.yml) is used as it is; otherwise "<dir>/<PLAN>.yaml" is searched in
 * each directory of dirs (NULL-terminated). Returns a new string, or NULL with
 * a message in d listing where it looked. */
char *plan_find(const char *name, const char *const *dirs, struct diag *d);

#endif
