/* answers_save.c: writing answers files: the template of `upshift answers`
 * and the answers a run saves in its state directory (answers.h). */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/answers.h"
#include "lib/i18n.h"

static void
add_quoted(struct strbuf *sb, const char *s)
{
        strbuf_addch(sb, '"');
        for (; *s; s++) {
                unsigned char ch = (unsigned char)*s;

                if (ch == '"' || ch == '\\') {
                        strbuf_addch(sb, '\\');
                        strbuf_addch(sb, (char)ch);
                } else if (ch == '\n') {
                        strbuf_adds(sb, "\\n");
                } else if (ch == '\t') {
                        strbuf_adds(sb, "\\t");
                } else if (ch < 0x20 || ch == 0x7f) {
                        strbuf_addf(sb, "\\x%02x", ch);
                } else {
                        strbuf_addch(sb, (char)ch);
                }
        }
        strbuf_addch(sb, '"');
}

/* A value as YAML: plain when that reads back as the same string. */
static void
add_value(struct strbuf *sb, const char *s)
{
        static const char *const nulls[] = { "~", "null", "Null", "NULL" };
        bool plain = *s != '\0' &&
                     strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789_./@+=-") == strlen(s) &&
                     *s != '-' && *s != '.' && *s != '@';

        for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
                if (strcmp(s, nulls[i]) == 0)
                        plain = false;
        if (plain)
                strbuf_adds(sb, s);
        else
                add_quoted(sb, s);
}

static void
add_comment(struct strbuf *sb, const char *text)
{
        const char *p = text;

        while (*p) {
                size_t n = strcspn(p, "\n");

                strbuf_adds(sb, "# ");
                strbuf_add(sb, p, n);
                strbuf_addch(sb, '\n');
                p += n;
                if (*p == '\n')
                        p++;
        }
}

static void
template_question(struct strbuf *sb, const struct plan *p, const struct question *q)
{
        strbuf_addch(sb, '\n');
        if (q->type == Q_CONFIRM) {
                /* TRANSLATORS: "Checklist (disconnect): Writers are paused" */
                char *t = xasprintf(_("Checklist (%s): %s"), step_key(q->step), q->text);

                add_comment(sb, t);
                free(t);
        } else {
                add_comment(sb, q->text);
        }
        if (q->help)
                add_comment(sb, q->help);
        if (q->type == Q_CONFIRM) {
                strbuf_addf(sb, "# %s\n", _("answer yes once this is done"));
                strbuf_addf(sb, "%s: no\n", q->key);
                return;
        }
        strbuf_addf(sb, "# type: %s", qtype_name(q->type));
        if (q->type == Q_CHOICE) {
                char *all = strv_join(q->choices.v, q->choices.n, ", ");

                strbuf_addf(sb, _(", one of: %s"), all);
                free(all);
        }
        if (q->def && strstr(q->def, "${"))
                strbuf_addf(sb, _("; default: %s (worked out when upshift runs)"), q->def);
        else if (q->def)
                strbuf_addf(sb, _("; default: %s"), q->def);
        else if (q->required)
                strbuf_addf(sb, "; %s", _("required"));
        else
                strbuf_addf(sb, "; %s", _("optional"));
        strbuf_addch(sb, '\n');
        if (q->per_hop && q->def == NULL) {
                /* One value per hop: each version the path may stop at. */
                const char *c = q->required ? "" : "# ";

                strbuf_addf(sb, "# %s\n", _("one value per hop: a map from each hop's version to "
                                            "its value (hops below the installed version are "
                                            "not needed)"));
                strbuf_addf(sb, "%s%s:\n", c, q->key);
                for (size_t i = 0; i < p->path_stops.n; i++)
                        strbuf_addf(sb, "%s  %s:\n", c, p->path_stops.v[i]);
                if (p->target)
                        strbuf_addf(sb, "%s  %s:\n", c, p->target);
                return;
        }
        if (q->def && strstr(q->def, "${")) {
                /* Left commented: the default is worked out at run time. */
                strbuf_addf(sb, "# %s: ", q->key);
                add_value(sb, q->def);
        } else if (q->def) {
                strbuf_addf(sb, "%s: ", q->key);
                add_value(sb, q->def);
        } else if (q->required) {
                strbuf_addf(sb, "%s:", q->key);
        } else {
                strbuf_addf(sb, "# %s:", q->key);
        }
        strbuf_addch(sb, '\n');
}

void
answers_template(const struct plan *p, FILE *out)
{
        struct strbuf sb = {0};

        /* TRANSLATORS: 'Answers for plan "redis": Redis 6 to 7' */
        strbuf_addf(&sb, _("# Answers for plan \"%s\": %s\n"), p->id, p->title);
        strbuf_addf(&sb, _("# Plan file: %s\n"), p->file);
        strbuf_addf(&sb, "# %s\n", _("Fill in the empty values, answer yes to each "
                                     "checklist item once it"));
        strbuf_addf(&sb, _("# is done, then run: upshift run %s --answers FILE\n"), p->id);
        strbuf_addf(&sb, "# %s\n", _("The format is described in upshift-answers(5)."));
        for (size_t i = 0; i < p->n_ask; i++)
                template_question(&sb, p, &p->ask[i]);
        strbuf_addch(&sb, '\n');
        strbuf_addf(&sb, "# %s\n", _("Built-in: the directory for the backup"));
        strbuf_addf(&sb, _("# type: dir; default: /var/backups/upshift/%s\n"), p->id);
        strbuf_addf(&sb, "# backup_dir: /var/backups/upshift/%s\n", p->id);
        strbuf_adds(&sb, _("#\n# What to do with a migration that was interrupted (the process died\n"
                           "# inside it) when the plan has no probe: to tell whether it finished:\n"
                           "# stop (ask the operator), rerun, or done.\n"));
        strbuf_adds(&sb, "# on_doubt: stop\n");
        strbuf_adds(&sb, _("#\n# The backup's compression (zstd, gzip, xz, none) and level (1 to 19;\n"
                           "# 1 to 9 for gzip and xz), when not the plan's.\n"));
        strbuf_addf(&sb, "# backup_compression: %s\n",
                    p->backup.compression ? p->backup.compression : "zstd");
        strbuf_adds(&sb, "# backup_level: 3\n");
        fputs(sb.buf, out);
        strbuf_release(&sb);
}

int
answers_save(const struct plan *p, const struct answers *a, const char *path,
             struct diag *d)
{
        struct strbuf sb = {0};
        int r;

        /* TRANSLATORS: a comment at the top of a saved answers file. */
        strbuf_addf(&sb, _("# Answers for plan \"%s\" (secrets are left out)\n"), p->id);
        for (size_t i = 0; i < a->kv.n; i++) {
                const struct question *q = plan_question(p, a->kv.v[i].key);

                if (q && q->type == Q_SECRET)
                        continue;
                strbuf_addf(&sb, "%s: ", a->kv.v[i].key);
                add_quoted(&sb, a->kv.v[i].value);
                strbuf_addch(&sb, '\n');
        }
        for (size_t i = 0; i < a->n_maps; i++) {
                const struct answer_map *m = &a->maps[i];
                const struct question *q = plan_question(p, m->key);

                if (m->scalar || (q && q->type == Q_SECRET))
                        continue;
                strbuf_addf(&sb, "%s:\n", m->key);
                for (size_t j = 0; j < m->byver.n; j++) {
                        strbuf_adds(&sb, "  ");
                        add_quoted(&sb, m->byver.v[j].key);
                        strbuf_adds(&sb, ": ");
                        add_quoted(&sb, m->byver.v[j].value);
                        strbuf_addch(&sb, '\n');
                }
        }
        r = write_file_atomic(path, sb.buf, sb.len, 0600, d);
        strbuf_release(&sb);
        return r;
}
