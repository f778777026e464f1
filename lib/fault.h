/* fault.h: fault injection, for tests only.
 *
 * Compiled in with ./configure --enable-fault-injection; in a normal build
 * these are empty inline functions and nothing reads the environment. When
 * compiled in, UPSHIFT_FAULT holds comma-separated faults:
 *   crash-after-record=N   SIGKILL this process right after the journal
 *                          record with seq N is durable
 *   enospc-at-write=N      the Nth write (write_all, backup archive writes,
 *                          counted from 1) fails with ENOSPC
 *   eio-at-write=N         the same with EIO
 * The counters are the one piece of process-wide mutable state in upshift;
 * they exist only in fault-injection builds.
 */
#ifndef UPSHIFT_FAULT_H
#define UPSHIFT_FAULT_H

#ifdef UPSHIFT_FAULT_INJECTION
void fault_init(void);
void fault_after_record(unsigned long seq);
int  fault_write(void);
#else
static inline void fault_init(void) {}
static inline void fault_after_record(unsigned long seq) { (void)seq; }
static inline int  fault_write(void) { return 0; }
#endif

#endif
