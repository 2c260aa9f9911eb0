/* auth.h — the form posts that change who is signed in. */
#ifndef PARLEY_AUTH_H
#define PARLEY_AUTH_H

#include "http.h"

enum step	auth_register(struct req *);
enum step	auth_login(struct req *);
enum step	auth_logout(struct req *);

#endif
