/* Fuzz target: RPC request validation (lib/rpc.c, lib/jsonx.c). */
#include <stddef.h>
#include <stdint.h>

#include "jsonx.h"
#include "rpc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t		*root, *args;
	const char	*action, *email;
	char		 err[256];

	if (rpc_request_parse(data, size, &root, &action, &args, err,
	    sizeof(err)) == 0) {
		(void)jsonx_get_string(args, "email", 254, &email, err,
		    sizeof(err));
		json_decref(root);
	}
	return 0;
}
