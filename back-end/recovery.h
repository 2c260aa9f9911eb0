/* recovery.h — `back-end --recovery-link EMAIL`: the operator's one-time
 * password link for an account (docs/frontend.md "Recovery"). */
#ifndef PARLEY_RECOVERY_H
#define PARLEY_RECOVERY_H

/* Print the link (PUBLIC_URL base + token) on stdout, storing the token's
 * hash through database_url; returns the process exit status. */
int	recovery_link_main(const char *database_url, const char *public_url,
	    const char *email);

#endif
