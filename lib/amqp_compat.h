/*
 * amqp_compat.h — rabbitmq-c moved its headers to <rabbitmq-c/...> in 0.12
 * (Debian 13) and deprecated the old names with a #warning; Debian 12 ships
 * 0.11 with only the old names.  Include whichever this system has.
 */
#ifndef PARLEY_AMQP_COMPAT_H
#define PARLEY_AMQP_COMPAT_H

#if __has_include(<rabbitmq-c/amqp.h>)
#include <rabbitmq-c/amqp.h>
#include <rabbitmq-c/tcp_socket.h>
#else
#include <amqp.h>
#include <amqp_tcp_socket.h>
#endif

#endif
