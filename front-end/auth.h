/* auth.h — the form posts that change who is signed in. */
#ifndef PARLEY_AUTH_H
#define PARLEY_AUTH_H

#include "http.h"

enum step	auth_register(struct req *);
enum step	auth_login(struct req *);
enum step	auth_logout(struct req *);

/*
 * The log-in throttle, shared by every form that checks a password (log-in,
 * change password, delete account), so none of them guesses faster: ask
 * LOGIN_PREPARE for the verdict and the stored hash, record a wrong password
 * with LOGIN_FAILED.  Each sets req->step to next_step and starts the RPC.
 */
enum step	auth_rpc_prepare(struct req *, const char *email,
		    const char *account, int next_step);
enum step	auth_rpc_failed(struct req *, const char *account,
		    int next_step);

#endif
