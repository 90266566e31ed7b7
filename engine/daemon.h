/* daemon — `bpfalert run`: the event loop that owns the sources, the rule
 * generation, the alert manager, the dispatcher, signals and metrics
 * (DESIGN §1, §6.4, §11).
 *
 *   SIGHUP          reload configuration and rules atomically
 *   SIGUSR1         reopen file targets (logrotate)
 *   SIGTERM/SIGINT  stop the sources, give pending notifications a bounded
 *                   time to deliver, keep the rest in the spool, exit 0 */
#ifndef BPFALERT_DAEMON_H
#define BPFALERT_DAEMON_H

#include "cli.h"

int cmd_run(const struct cli_options *opt);

#endif
