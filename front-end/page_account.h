/* page_account.h — the account pages and the recovery link
 * (docs/frontend.md "Account pages"), as step machines like auth.c. */
#ifndef PARLEY_PAGE_ACCOUNT_H
#define PARLEY_PAGE_ACCOUNT_H

#include "http.h"

enum step	page_account(struct req *);
enum step	page_account_password(struct req *);
enum step	page_account_revoke(struct req *);
enum step	page_account_revoke_others(struct req *);
enum step	page_account_token_create(struct req *);
enum step	page_account_token_revoke(struct req *);
enum step	page_account_delete_form(struct req *);
enum step	page_account_delete(struct req *);
enum step	page_recover_form(struct req *);
enum step	page_recover(struct req *);

#endif
