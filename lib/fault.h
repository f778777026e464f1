/* fault.h: fault injection, for tests only.
 *
 * Compiled in with ./configure --enable-fault-injection; in a normal build
 * these are empty inline functions and nothing reads the environment. When
 * compiled in, UPSHIFT_FAULT holds comma-separated faults:
 *   crash-after-record=N   SIGKILL this process right after the journal
 *                          record with seq N is durable; inside a batch
 *                          (journal_append_many) only the records up to N
 *                          are written: the batch is cut short there
 *   crash-after-fsop=N     SIGKILL right after the Nth link or rename of
 *                          the swap (counted from 1): a kill between two
 *                          journal records
 *   enospc-at-write=N      the Nth write (write_all, backup archive writes,
 *                          counted from 1) fails with ENOSPC
 *   eio-at-write=N         the same with EIO
 *   eio-at-flush=N         the Nth fdatasync a flusher (flush.h) makes in
 *                          the background fails with EIO
 * The counters are the one piece of process-wide mutable state in upshift;
 * they exist only in fault-injection builds, and fault_init() sets them
 * back to 0.
 */
#ifndef UPSHIFT_FAULT_H
#define UPSHIFT_FAULT_H

#include <stdbool.h>

#ifdef UPSHIFT_FAULT_INJECTION
void fault_init(void);
/* True when the run is to be killed right after journal record seq. */
bool fault_crash_after(unsigned long seq);
/* SIGKILL this process. */
void fault_crash(void);
/* After a link or rename of the swap: SIGKILL when it is the one asked for. */
void fault_fs_op(void);
int  fault_write(void);
int  fault_flush(void);
#else
static inline void fault_init(void) {}
static inline bool fault_crash_after(unsigned long seq) { (void)seq; return false; }
static inline void fault_crash(void) {}
static inline void fault_fs_op(void) {}
static inline int  fault_write(void) { return 0; }
static inline int  fault_flush(void) { return 0; }
#endif

#endif
