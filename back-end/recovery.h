/* recovery.h — `back-end --recovery-link EMAIL`: the operator's one-time
 * password link for an account (docs/frontend.md "Recovery"). */
#ifndef PARLEY_RECOVERY_H
#define PARLEY_RECOVERY_H

/* Print the link on stdout; returns the process exit status. */
int	recovery_link_main(const char *email);

#endif
