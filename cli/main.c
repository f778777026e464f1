/* main.c: upshift's command line: options, subcommands, exit codes. */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "lib/answers.h"
#include "lib/exec.h"
#include "lib/fault.h"
#include "lib/i18n.h"
#include "lib/plan.h"
#include "lib/upshift.h"
#include "lib/util.h"
#include "steps/step.h"
#include "ui/plain.h"

/* Signal handlers only set this flag; the engine polls it. */
static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
        interrupted = sig;
}

void
cli_catch_signals(void (*handler)(int))
{
        struct sigaction sa;

        memset(&sa, 0, sizeof sa);
        sa.sa_handler = handler;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
}

void
cli_error(const char *msg)
{
        fprintf(stderr, _("upshift: error: %s\n"), msg);
}

void
cli_plan_dirs(const struct cli *c, struct strv *ret)
{
        const char *env = getenv("UPSHIFT_PLANS_DIR");

        if (c->plans_dir)
                strv_push(ret, c->plans_dir);
        if (env && *env)
                strv_push(ret, env);
        strv_push_take(ret, xasprintf("%s/upshift/plans", SYSCONFDIR));
        strv_push_take(ret, xasprintf("%s/plans", PKGDATADIR));
}

int
cli_load_plan(const struct cli *c, struct plan **ret)
{
        struct strv dirs = {0};
        struct diag d = {0};
        char *path;

        if (c->plan_arg == NULL) {
                fprintf(stderr, _("upshift: error: %s needs a PLAN (upshift list shows them)\n"), c->sub);
                return EXIT_USAGE;
        }
        cli_plan_dirs(c, &dirs);
        path = plan_find(c->plan_arg, (const char *const *)dirs.v, &d);
        strv_release(&dirs);
        if (path == NULL || step_plan_load(path, ret, &d) < 0) {
                cli_error(d.msg);
                free(path);
                return EXIT_USAGE;
        }
        free(path);
        return 0;
}

char *
cli_state_dir(const struct cli *c, const char *plan_id)
{
        return c->state_dir ? xstrdup(c->state_dir) : engine_default_state_dir(plan_id);
}

static int
cmd_list(struct cli *c)
{
        struct strv dirs = {0};
        int found = 0;

        cli_plan_dirs(c, &dirs);
        for (size_t i = 0; i < dirs.n; i++) {
                struct dirent **names = NULL;
                int n = scandir(dirs.v[i], &names, NULL, alphasort);

                for (int k = 0; k < n; k++) {
                        const char *nm = names[k]->d_name;

                        if (nm[0] != '.' && (str_endswith(nm, ".yaml") || str_endswith(nm, ".yml"))) {
                                char *path = path_join(dirs.v[i], nm);
                                struct plan *p = NULL;
                                struct diag d = {0};

                                if (step_plan_load(path, &p, &d) == 0) {
                                        printf("%-12s %-28s %s\n", p->id, p->title, path);
                                        plan_free(p);
                                        found++;
                                } else {
                                        cli_error(d.msg);
                                }
                                free(path);
                        }
                        free(names[k]);
                }
                free(names);
        }
        if (found == 0) {
                char *where = strv_join(dirs.v, dirs.n, ", ");

                fprintf(stderr, _("upshift: no plans found in %s\n"), where);
                free(where);
        }
        strv_release(&dirs);
        return EXIT_DONE;
}

static int
cmd_answers(struct cli *c)
{
        struct plan *p = NULL;
        int r = cli_load_plan(c, &p);

        if (r)
                return r;
        answers_template(p, stdout);
        plan_free(p);
        return fflush(stdout) == 0 ? EXIT_DONE : EXIT_STEPFAIL;
}

/* A path as given, made absolute, so that a printed command works from
 * any directory. New string. */
static char *
absolute(const char *path)
{
        char cwd[4096];

        if (path[0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
                return xstrdup(path);
        while (path[0] == '.' && path[1] == '/')
                path += 2;
        return path_join(cwd, path);
}

/* option VALUE, with VALUE made absolute when it is a path. */
static void
push_option(struct strv *v, const char *option, const char *value, bool is_path)
{
        if (value == NULL)
                return;
        strv_push(v, option);
        strv_push_take(v, is_path ? absolute(value) : xstrdup(value));
}

char *
cli_command(const struct cli *c, const char *sub)
{
        bool engine = strcmp(sub, "run") == 0 || strcmp(sub, "rollback") == 0;
        struct strv v = {0};
        char *s;

        strv_push(&v, "upshift");
        strv_push(&v, sub);
        if (c->plan_arg)
                strv_push_take(&v, strchr(c->plan_arg, '/') ? absolute(c->plan_arg)
                                                            : xstrdup(c->plan_arg));
        push_option(&v, "--plans-dir", c->plans_dir, true);
        if (engine) {
                push_option(&v, "--answers", c->answers, true);
                if (strcmp(sub, "run") == 0)
                        push_option(&v, "--target", c->target, false);
                if (c->yes)
                        strv_push(&v, "--yes");
                if (c->strict_packages && strcmp(sub, "run") == 0)
                        strv_push(&v, "--strict-packages");
                if (c->plain)
                        strv_push(&v, "--plain");
        }
        push_option(&v, "--state-dir", c->state_dir, true);
        if (c->no_color && strcmp(sub, "status") != 0)
                strv_push(&v, "--no-color");
        s = exec_argv_display(v.v);
        strv_release(&v);
        return s;
}

/* The wizard: a terminal on both sides, no answers file, not --plain. */
static bool
use_wizard(const struct cli *c)
{
        const char *term = getenv("TERM");

        return c->answers == NULL && !c->plain && isatty(STDIN_FILENO) &&
               isatty(STDOUT_FILENO) && term && *term && strcmp(term, "dumb") != 0;
}

typedef enum run_outcome (*engine_fn)(const struct plan *, const struct answers *,
                                      const struct engine_opts *, struct frontend *,
                                      struct diag *);

/* run and rollback: load, install the signal handlers, hand over to the
 * engine: in a worker process under the wizard on a terminal, or here with
 * the line frontend. */
static int
engine_command(struct cli *c, engine_fn fn, bool saved_answers)
{
        struct engine_opts o = {0};
        struct plan *p = NULL;
        struct answers *a = NULL;
        struct frontend *fe;
        struct diag d = {0};
        char *state, *resume, *rollback, *attach, *answers = NULL;
        bool interactive = c->answers == NULL && isatty(STDIN_FILENO);
        bool required = c->answers != NULL || !interactive || saved_answers;
        int r = cli_load_plan(c, &p);

        if (r)
                return r;
        state = cli_state_dir(c, p->id);
        if (c->answers)
                answers = xstrdup(c->answers);
        else if (saved_answers || interactive)
                answers = path_join(state, "answers.yaml");
        if (answers && c->answers == NULL && !path_exists(answers)) {
                free(answers);
                answers = NULL;
        }
        /* An interactive run asks for what is missing; saved answers it
         * cannot use (the plan changed) are only a starting point. */
        if (answers_load(answers, p, required, &a, &d) < 0 &&
            (required || answers_load(NULL, p, false, &a, &d) < 0)) {
                cli_error(d.msg);
                free(answers);
                free(state);
                plan_free(p);
                return EXIT_USAGE;
        }
        /* Signals only set a flag; the engine stops at the next safe point.
         * A closed terminal (SIGHUP) stops like Ctrl-C but never kills a
         * running migration; writes to a vanished terminal must not kill us. */
        cli_catch_signals(on_signal);
        resume = cli_command(c, strcmp(c->sub, "rollback") == 0 ? "rollback" : "run");
        rollback = cli_command(c, "rollback");
        attach = cli_command(c, "attach");
        o.state_dir = state;
        o.target = c->target;
        o.yes = c->yes;
        o.strict_packages = c->strict_packages;
        o.interactive = interactive;
        o.interrupt = &interrupted;
        o.resume_cmd = resume;
        o.rollback_cmd = rollback;
        o.attach_cmd = attach;
        r = -1;
        if (use_wizard(c))
                r = cli_wizard(c, p, a, &o, saved_answers, rollback, on_signal);
        if (r < 0) {
                fe = plain_new(stdout, stderr, stdin, o.interactive);
                r = run_outcome_exit(fn(p, a, &o, fe, &d));
                plain_free(fe);
        }
        free(answers);
        free(state);
        free(resume);
        free(rollback);
        free(attach);
        answers_free(a);
        plan_free(p);
        return r;
}

static int
cmd_run(struct cli *c)
{
        return engine_command(c, engine_run, false);
}

static int
cmd_rollback(struct cli *c)
{
        return engine_command(c, engine_rollback, true);
}

/* The command is the confirmation; the line frontend says what it did. */
static int
cmd_clean(struct cli *c)
{
        struct plan *p = NULL;
        char *state, *journal;
        bool none;
        int r = cli_load_plan(c, &p);

        if (r)
                return r;
        state = cli_state_dir(c, p->id);
        journal = path_join(state, "journal");
        none = !path_exists(journal);
        if (none)
                printf(_("nothing to clean: no upgrade has been started (state %s)\n"), state);
        free(journal);
        free(state);
        plan_free(p);
        if (none)
                return EXIT_DONE;
        c->yes = true;
        c->plain = true;
        return engine_command(c, engine_clean, true);
}

static int
cmd_attach(struct cli *c)
{
        struct engine_opts o = {0};
        struct plan *p = NULL;
        char *state, *resume;
        int r = cli_load_plan(c, &p);

        if (r)
                return r;
        state = cli_state_dir(c, p->id);
        resume = cli_command(c, "run");
        o.state_dir = state;
        o.resume_cmd = resume;
        if (use_wizard(c)) {
                r = cli_attach(c, p, &o);
        } else {
                cli_error(_("upshift attach needs a terminal: it opens the wizard (see upshift status for a line summary)"));
                r = EXIT_USAGE;
        }
        free(state);
        free(resume);
        plan_free(p);
        return r;
}

struct subcommand {
        const char *name;
        const char *usage;
        const char *help;
        int (*fn)(struct cli *c);
        bool takes_plan;
};

static const struct subcommand subcommands[] = {
        {"list", "", N_("list the plans found in the plan path"), cmd_list, false},
        {"plan", "PLAN [--answers FILE] [--target VERSION] [--strict-packages]",
         N_("show what would be done, every command resolved; changes nothing"), cli_plan, true},
        {"answers", "PLAN", N_("print an answers template: every question, default and help"),
         cmd_answers, true},
        {"run", "PLAN [--answers FILE] [--yes] [--target VERSION] [--strict-packages]",
         N_("run or resume the upgrade (on a terminal: re-attach to it when it runs)"), cmd_run, true},
        {"attach", "PLAN",
         N_("open the wizard again on an upgrade whose terminal went away"),
         cmd_attach, true},
        {"status", "[PLAN]", N_("summarise the journal of an upgrade"), cli_status, true},
        {"rollback", "PLAN [--answers FILE] [--yes]",
         N_("undo the upgrade: data from the backup, old files back, service started"),
         cmd_rollback, true},
        {"clean", "PLAN",
         N_("remove the old files (*.upshift-old) a finished upgrade kept"),
         cmd_clean, true},
};

static void
usage(FILE *f)
{
        fprintf(f, _("Usage: upshift COMMAND [OPTIONS]\n\n"
                     "Walks through upgrading a stateful service: detect, back up, disconnect\n"
                     "clients, stop, swap binaries, migrate, verify, reconnect.\n\nCommands:\n"));
        for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
                fprintf(f, "  upshift %s %s\n      %s\n", subcommands[i].name,
                        subcommands[i].usage, _(subcommands[i].help));
        fprintf(f, _("\nOptions:\n"
                     "  --answers FILE    take the answers from FILE (no questions asked);\n"
                     "                    rollback uses the answers saved in the state directory\n"
                     "  --yes             confirm the steps that stop the service and change data\n"
                     "  --target VERSION  upgrade to VERSION instead of the plan's target\n"
                     "  --state-dir DIR   keep the journal, lock and logs in DIR\n"
                     "                    (default %s/PLAN)\n"
                     "  --plans-dir DIR   look for plans in DIR first\n"
                     "  --no-color        no colours (also when NO_COLOR is set)\n"
                     "  --plain           line output even on a terminal (no wizard)\n"
                     "  --strict-packages refuse a package holding entries that would be refused\n"
                     "                    if the plan mapped them (device nodes, setuid files,\n"
                     "                    links out of the package)\n"
                     "  --help            show this help\n"
                     "  --version         show the version\n\n"
                     "Exit codes: 0 done; 1 a step failed (resumable); 2 bad usage or input;\n"
                     "3 refused by a preflight check; 4 rolled back; 75 another run holds the lock.\n"
                     "See upshift(1), upshift-plan(5), upshift-answers(5).\n"), ENGINE_STATE_ROOT);
}

int
main(int argc, char **argv)
{
        static const struct option longopts[] = {
                {"answers", required_argument, NULL, 'a'},
                {"yes", no_argument, NULL, 'y'},
                {"target", required_argument, NULL, 't'},
                {"state-dir", required_argument, NULL, 's'},
                {"plans-dir", required_argument, NULL, 'p'},
                {"no-color", no_argument, NULL, 'C'},
                {"plain", no_argument, NULL, 'P'},
                {"strict-packages", no_argument, NULL, 'S'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},
                {NULL, 0, NULL, 0},
        };
        const struct subcommand *sc = NULL;
        struct cli c = {.argv0 = argv[0]};
        int opt, r;

        fault_init();
        setlocale(LC_ALL, "");
#ifdef ENABLE_NLS
        bindtextdomain(PACKAGE, LOCALEDIR);
        textdomain(PACKAGE);
#endif
        for (int i = 1; i < argc; i++)
                strv_push(&c.raw, argv[i]);
        /* Options may stand before or after the subcommand and PLAN. */
        opterr = 0;
        while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1 || optind < argc) {
                if (opt == -1) {
                        const char *word = argv[optind++];

                        if (c.sub == NULL)
                                c.sub = word;
                        else if (c.plan_arg == NULL)
                                c.plan_arg = word;
                        else {
                                fprintf(stderr, _("upshift: error: unexpected argument \"%s\" (see upshift --help)\n"), word);
                                strv_release(&c.raw);
                                return EXIT_USAGE;
                        }
                        continue;
                }
                switch (opt) {
                case 'a': c.answers = optarg; break;
                case 'y': c.yes = true; break;
                case 't': c.target = optarg; break;
                case 's': c.state_dir = optarg; break;
                case 'p': c.plans_dir = optarg; break;
                case 'C': c.no_color = true; break;
                case 'P': c.plain = true; break;
                case 'S': c.strict_packages = true; break;
                case 'h':
                        usage(stdout);
                        strv_release(&c.raw);
                        return EXIT_DONE;
                case 'V':
                        printf("upshift %s\n", PACKAGE_VERSION);
                        strv_release(&c.raw);
                        return EXIT_DONE;
                default:
                        if (optopt)
                                fprintf(stderr, _("upshift: error: option \"%s\" needs a value (see upshift --help)\n"),
                                        argv[optind - 1]);
                        else
                                fprintf(stderr, _("upshift: error: unknown option \"%s\" (see upshift --help)\n"),
                                        argv[optind - 1]);
                        strv_release(&c.raw);
                        return EXIT_USAGE;
                }
        }
        if (c.sub == NULL) {
                usage(stderr);
                strv_release(&c.raw);
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++)
                if (strcmp(subcommands[i].name, c.sub) == 0)
                        sc = &subcommands[i];
        if (sc == NULL) {
                fprintf(stderr, _("upshift: error: unknown command \"%s\" (see upshift --help)\n"), c.sub);
                strv_release(&c.raw);
                return EXIT_USAGE;
        }
        if (!sc->takes_plan && c.plan_arg) {
                fprintf(stderr, _("upshift: error: unexpected argument \"%s\" (see upshift --help)\n"),
                        c.plan_arg);
                strv_release(&c.raw);
                return EXIT_USAGE;
        }
        if (c.no_color || getenv("NO_COLOR"))
                c.no_color = true;
        r = sc->fn(&c);
        strv_release(&c.raw);
        return r;
}
