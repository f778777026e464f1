/* facts.h: the names of the facts that more than one file reads.
 *
 * Facts are journaled key/value strings (engine_fact_set): a step records
 * what it did or found, and a later step, its undo, the engine's report or
 * `upshift status` reads it back, also in a later process after a crash.
 * The spellings below are journal data: an old journal replays only while
 * they stay exactly as they are. Never rename one.
 *
 * Records with an index have a codec next to their owner instead of a name
 * here: staged.N.* and swap.*.N (steps/staging.h), migrate.started.N and
 * migrate.done.N (steps/migrate.c), disable.* (steps/disable.c).
 *
 * The facts of the swap, migrate and verify of hop N >= 2, and the staged
 * package of that hop, carry the prefix "hopN." (step_hop_key,
 * steps/step.h); those marked "per hop" below are written that way.
 */
#ifndef UPSHIFT_FACTS_H
#define UPSHIFT_FACTS_H

/* detect */
#define FACT_VERSION            "version"       /* the installed version */
#define FACT_TARGET             "target"        /* the target version */
#define FACT_HOPS               "hops"          /* each hop's target, space-separated */
#define FACT_PLAN_PREFIX        "fact."         /* + NAME: a plan fact captured */
#define FACT_PACKAGE_SHA256     "package.sha256"        /* the staged package; per hop */
#define FACT_PACKAGE_VERSION    "package.version"       /* its version, if it says; per hop */
/* With several packages (swap: packages:), every one: "NAME VERSION, ..."
 * (a name alone when its package says no version), or "NAME, NAME VERSION"
 * when they all say the same version (package_list_text); and "NAME SHA256,
 * ..."; per hop */
#define FACT_PACKAGES           "packages"
#define FACT_PACKAGES_SHA256    "packages.sha256"

/* backup (and a cold backup in stop) */
#define FACT_BACKUP_PENDING     "backup.pending"        /* journaled before the archive exists */
#define FACT_BACKUP_PATH        "backup.path"
#define FACT_BACKUP_SHA256      "backup.sha256"
#define FACT_BACKUP_SIZE        "backup.size"           /* bytes */
#define FACT_BACKUP_MANIFEST_SHA256 "backup.manifest_sha256"
#define FACT_BACKUP_VERIFIED    "backup.verified"       /* "yes": read back and checked */
#define FACT_BACKUP_LIVE        "backup.live"           /* "yes": taken while the service ran,
                                                           completed by the delta in stop */
/* A cold backup's delta: what changed between the live backup and the stop */
#define FACT_DELTA_PENDING      "backup.delta.pending"
#define FACT_DELTA_PATH         "backup.delta.path"
#define FACT_DELTA_SHA256       "backup.delta.sha256"
#define FACT_DELTA_SIZE         "backup.delta.size"     /* bytes */
#define FACT_DELTA_REMOVED_SHA256 "backup.delta.removed_sha256" /* of PATH.removed */
#define FACT_DELTA_VERIFIED     "backup.delta.verified"
#define FACT_DELTA_MS           "backup.delta.ms"       /* how long stop took to make it:
                                                           backup time, in the downtime */
#define FACT_RESTORE_DONE       "restore.done"          /* data restored (migrate's undo) */
#define FACT_BACKUP_COUNT_PREFIX "backup.count."        /* + NAME: a counts: fact at the backup */
#define FACT_RESTORE_REPLACED_PREFIX "restore.replaced." /* + N: where data path N's
                                                           replaced data is kept */

/* disconnect, stop, swap, verify */
#define FACT_DISCONNECT_CLIENTS "disconnect.clients"    /* clients seen before draining */
#define FACT_CMD_UNDO_PREFIX    "cmd_undo."     /* + N: "STEP HOP LINE:COL", the undo: of a
                                                   command that has run (+ N.done: undone) */
#define FACT_HOT_DOWN_MS        "swap.hot.down_ms"      /* a hot swap's measured downtime (per hop: "hopN." before it) */
#define FACT_STOP_AT            "stop.at"               /* wall-clock ms: downtime began */
#define FACT_SWAP_BEGUN         "swap.begun"            /* the first swap of the upgrade began */
#define FACT_VERIFY_READY_AT    "verify.ready_at"       /* wall-clock ms: downtime ended */
#define FACT_VERIFY_STOPPED     "verify.stopped"        /* a hop before the last stopped
                                                           the service again; per hop */
#define FACT_VERSION_AFTER      "version_after"         /* the version answering after verify */

#endif
