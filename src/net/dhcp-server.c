/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The DHCPv4 server of one machine's link: one lease, the address host0 already has,
 * given to whatever client the guest runs. Not a general server: no pool, no relays, no BOOTP. */
#include <endian.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/dhcp-server.h"
#include "util/log.h"
#include "util/macro.h"

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_MAGIC_COOKIE 0x63825363U /* RFC 2131 §3: 99.130.83.99 */
#define DHCP_FLAG_BROADCAST 0x8000U   /* RFC 2131 §2, figure 2: the only flag defined */
#define BOOTREQUEST 1
#define BOOTREPLY 2
#define ARPHRD_ETHER_TYPE 1 /* RFC 1700 hardware type: Ethernet, 6-byte addresses */
#define ETHER_ADDR_SIZE 6

/* The largest request we take. A client may send more than 576 bytes only after telling
 * us it accepts as much (RFC 2131 §2); anything bigger than this is no client's. */
#define DHCP_RECEIVE_MAX 4096
/* RFC 2131 §2: a client must accept an options field of 312 bytes (a 576-byte IP
 * datagram); the first 4 of them are the magic cookie, which our header holds. */
#define DHCP_REPLY_OPTIONS_MAX (312 - 4)
/* RFC 1542 §2.1: relays and old clients may drop a BOOTP message shorter than 300 bytes. */
#define BOOTP_MIN_SIZE 300
/* Longest domain name we put in option 15: what is left of a reply's 308 bytes of options
 * after all the others (54 bytes at most), with room for a client identifier echoed. */
#define DHCP_DOMAIN_MAX 240

/* RFC 2132 §9.6: option 53's values */
enum {
        DHCPDISCOVER = 1,
        DHCPOFFER = 2,
        DHCPREQUEST = 3,
        DHCPDECLINE = 4,
        DHCPACK = 5,
        DHCPNAK = 6,
        DHCPRELEASE = 7,
        DHCPINFORM = 8,
};

/* RFC 2132: the option codes we read or write */
enum {
        DHCP_OPTION_PAD = 0,             /* §3.1 */
        DHCP_OPTION_SUBNET_MASK = 1,     /* §3.3 */
        DHCP_OPTION_ROUTER = 3,          /* §3.5 */
        DHCP_OPTION_DNS = 6,             /* §3.8 */
        DHCP_OPTION_DOMAIN_NAME = 15,    /* §3.17 */
        DHCP_OPTION_REQUESTED_IP = 50,   /* §9.1 */
        DHCP_OPTION_LEASE_TIME = 51,     /* §9.2 */
        DHCP_OPTION_MESSAGE_TYPE = 53,   /* §9.6 */
        DHCP_OPTION_SERVER_ID = 54,      /* §9.7 */
        DHCP_OPTION_RENEWAL_TIME = 58,   /* §9.11 */
        DHCP_OPTION_REBINDING_TIME = 59, /* §9.12 */
        DHCP_OPTION_CLIENT_ID = 61,      /* §9.14 */
        DHCP_OPTION_END = 255,           /* §3.2 */
};

/* RFC 2131 §2, figure 1: the fixed part of every message, up to and with the magic
 * cookie that opens the options field. Multi-byte fields are in network byte order. All
 * fields fall on their natural alignment: no padding, no packing needed. */
struct dhcp_message {
        uint8_t op;    /* BOOTREQUEST or BOOTREPLY */
        uint8_t htype; /* hardware address type */
        uint8_t hlen;  /* hardware address length */
        uint8_t hops;
        uint32_t xid; /* the client's transaction ID, echoed */
        uint16_t secs;
        uint16_t flags;
        uint32_t ciaddr; /* the client's address, if it has one */
        uint32_t yiaddr; /* "your" address: the lease */
        uint32_t siaddr; /* next boot server: none */
        uint32_t giaddr; /* relay agent */
        uint8_t chaddr[16];
        uint8_t sname[64];
        uint8_t file[128];
        uint32_t magic;
};
_Static_assert(sizeof(struct dhcp_message) == 240, "RFC 2131 figure 1: 236 bytes and the cookie");
_Static_assert(offsetof(struct dhcp_message, chaddr) == 28, "RFC 2131 figure 1");
_Static_assert(offsetof(struct dhcp_message, magic) == 236, "RFC 2131 figure 1");

struct dhcp_reply {
        struct dhcp_message message;
        uint8_t options[DHCP_REPLY_OPTIONS_MAX];
};
_Static_assert(sizeof(struct dhcp_reply) == 548, "RFC 2131 §2: 576 bytes with IP and UDP headers");

/* What we use of a request that passed validation; the pointers are into the datagram. */
struct dhcp_request {
        const struct dhcp_message *message;
        uint8_t type;             /* option 53; 0: absent */
        uint32_t server_id;       /* option 54 (network order); 0: absent */
        uint32_t requested;       /* option 50 (network order); 0: absent */
        const uint8_t *client_id; /* option 61; NULL: absent */
        uint8_t client_id_size;
};

struct dhcp_server {
        struct event_source *io;
        int fd;
        struct dhcp_lease lease; /* .domain points to our own copy */
        char *domain;
};

/* One option of a request, its length already known to be inside the datagram. The ones
 * with a fixed size must have it (RFC 2132 §9.1, §9.6, §9.7, §9.14); a message with one
 * that does not is not a client's, and is dropped. */
static int take_option(struct dhcp_request *request, uint8_t code, const uint8_t *value, uint8_t size)
{
        switch (code) {
        case DHCP_OPTION_MESSAGE_TYPE:
                if (size != 1 || value[0] < DHCPDISCOVER || value[0] > DHCPINFORM)
                        return -EBADMSG;
                request->type = value[0];
                return 0;
        case DHCP_OPTION_SERVER_ID:
                if (size != 4)
                        return -EBADMSG;
                memcpy(&request->server_id, value, 4);
                return 0;
        case DHCP_OPTION_REQUESTED_IP:
                if (size != 4)
                        return -EBADMSG;
                memcpy(&request->requested, value, 4);
                return 0;
        case DHCP_OPTION_CLIENT_ID:
                if (size < 2)
                        return -EBADMSG;
                request->client_id = value;
                request->client_id_size = size;
                return 0;
        default:
                /* The parameter request list (55) among them: we always send every
                 * parameter we have, which RFC 2131 §4.3.1 allows. */
                return 0;
        }
}

/* RFC 2132 §2: code, length, value; pad (0) and end (255) are a single byte. Every length
 * is checked against what is left of the datagram before the value is touched. A missing
 * end option is tolerated when the last option ends exactly at the datagram's end. Option
 * overload (52) is ignored: we read no options from 'sname' or 'file'. */
static int parse_options(const uint8_t *options, size_t size, struct dhcp_request *request)
{
        size_t i = 0;

        while (i < size) {
                uint8_t code = options[i], length;
                int r;

                if (code == DHCP_OPTION_PAD) {
                        i++;
                        continue;
                }
                if (code == DHCP_OPTION_END)
                        return 0;
                if (size - i < 2)
                        return -EBADMSG;
                length = options[i + 1];
                if (length > size - i - 2)
                        return -EBADMSG;
                r = take_option(request, code, options + i + 2, length);
                if (r < 0)
                        return r;
                i += 2 + (size_t)length;
        }
        return 0;
}

/* The guest is not trusted: a datagram is taken only if it is a whole BOOTREQUEST from an
 * Ethernet client with the DHCP cookie, and its options are well formed and name a type. */
static int parse_request(const struct dhcp_message *message, size_t size, struct dhcp_request *request)
{
        int r;

        *request = (struct dhcp_request){ .message = message };

        if (size < sizeof(struct dhcp_message))
                return -EBADMSG;
        if (message->op != BOOTREQUEST || message->htype != ARPHRD_ETHER_TYPE || message->hlen != ETHER_ADDR_SIZE)
                return -EBADMSG;
        if (be32toh(message->magic) != DHCP_MAGIC_COOKIE) /* RFC 2131 §3: else plain BOOTP */
                return -EBADMSG;

        r = parse_options((const uint8_t *)message + sizeof(*message), size - sizeof(*message), request);
        if (r < 0)
                return r;
        if (request->type == 0) /* RFC 2131 §3: every DHCP message has option 53 */
                return -EBADMSG;
        return 0;
}

/* Appends one option, keeping a byte for the end option. -ENOBUFS when it would not fit
 * in the 308 bytes every client accepts. */
static int append_option(struct dhcp_reply *reply, size_t *used, uint8_t code, const void *value, size_t size)
{
        if (size > UINT8_MAX || *used + 2 + size + 1 > sizeof(reply->options))
                return -ENOBUFS;
        reply->options[*used] = code;
        reply->options[*used + 1] = (uint8_t)size;
        memcpy(reply->options + *used + 2, value, size);
        *used += 2 + size;
        return 0;
}

static int append_be32(struct dhcp_reply *reply, size_t *used, uint8_t code, uint32_t host_order)
{
        uint32_t value = htobe32(host_order);

        return append_option(reply, used, code, &value, sizeof(value));
}

static uint32_t prefix_to_netmask(uint8_t prefix)
{
        return prefix == 0 ? 0 : htobe32(UINT32_MAX << (32 - prefix));
}

/* The lease's times (RFC 2132 §9.2, §9.11, §9.12) at RFC 2131 §4.4.5's defaults, T1 half
 * the lease and T2 seven eighths; an infinite lease (0xffffffff) has neither. */
static int append_lease_times(const struct dhcp_lease *lease, struct dhcp_reply *reply, size_t *used)
{
        uint32_t seconds = lease->lease_seconds;
        int r;

        r = append_be32(reply, used, DHCP_OPTION_LEASE_TIME, seconds);
        if (r < 0 || seconds == UINT32_MAX)
                return r;
        r = append_be32(reply, used, DHCP_OPTION_RENEWAL_TIME, seconds / 2);
        if (r < 0)
                return r;
        return append_be32(reply, used, DHCP_OPTION_REBINDING_TIME, (uint32_t)((uint64_t)seconds * 7 / 8));
}

/* The link's parameters (RFC 2132 §3.3, §3.5, §3.8, §3.17): always sent, whatever the
 * parameter request list said. */
static int append_parameters(const struct dhcp_lease *lease, struct dhcp_reply *reply, size_t *used)
{
        uint32_t netmask = prefix_to_netmask(lease->prefix);
        int r;

        r = append_option(reply, used, DHCP_OPTION_SUBNET_MASK, &netmask, sizeof(netmask));
        if (r < 0)
                return r;
        r = append_option(reply, used, DHCP_OPTION_ROUTER, &lease->server, sizeof(lease->server));
        if (r < 0)
                return r;
        if (lease->n_dns > 0) {
                r = append_option(reply, used, DHCP_OPTION_DNS, lease->dns, lease->n_dns * sizeof(lease->dns[0]));
                if (r < 0)
                        return r;
        }
        if (lease->domain)
                return append_option(reply, used, DHCP_OPTION_DOMAIN_NAME, lease->domain, strlen(lease->domain));
        return 0;
}

/* RFC 2131 §4.3.1, table 3: the fields of our replies. xid, flags, giaddr and chaddr are
 * the request's; ciaddr is echoed only in an ACK; yiaddr is ADDRESS: the lease, or zero in
 * a NAK and in the ACK to an INFORM; siaddr, sname and file are empty: we boot nobody. */
static void fill_header(const struct dhcp_request *request, uint8_t type, uint32_t address, struct dhcp_message *reply)
{
        const struct dhcp_message *message = request->message;

        *reply = (struct dhcp_message){
                .op = BOOTREPLY,
                .htype = ARPHRD_ETHER_TYPE,
                .hlen = ETHER_ADDR_SIZE,
                .xid = message->xid,
                .flags = message->flags,
                .ciaddr = type == DHCPACK ? message->ciaddr : 0,
                .yiaddr = address,
                .giaddr = message->giaddr,
                .magic = htobe32(DHCP_MAGIC_COOKIE),
        };
        memcpy(reply->chaddr, message->chaddr, sizeof(reply->chaddr));
}

/* The options of a reply, message type (53) first as clients expect it. A NAK carries
 * only the type and our identifier (RFC 2131 table 3); the ACK to an INFORM no lease
 * times (§3.4: the client has its address already). The client identifier goes back as it
 * came (RFC 6842), when there is room. Returns the options' length, or -ENOBUFS. */
static int build_options(const struct dhcp_server *server, const struct dhcp_request *request, uint8_t type,
                         uint32_t address, struct dhcp_reply *reply)
{
        const struct dhcp_lease *lease = &server->lease;
        size_t used = 0;
        int r;

        r = append_option(reply, &used, DHCP_OPTION_MESSAGE_TYPE, &type, 1);
        if (r < 0)
                return r;
        r = append_option(reply, &used, DHCP_OPTION_SERVER_ID, &lease->server, sizeof(lease->server));
        if (r < 0)
                return r;
        if (type != DHCPNAK) {
                if (address != 0) {
                        r = append_lease_times(lease, reply, &used);
                        if (r < 0)
                                return r;
                }
                r = append_parameters(lease, reply, &used);
                if (r < 0)
                        return r;
        }
        if (request->client_id)
                (void)append_option(reply, &used, DHCP_OPTION_CLIENT_ID, request->client_id, request->client_id_size);

        reply->options[used++] = DHCP_OPTION_END;
        return (int)used;
}

/* RFC 2131 §4.1: a client without an address cannot take a unicast (we would need an ARP
 * entry it cannot answer yet), so replies are broadcast on our link, to which the socket is
 * bound. Only a client that has its lease (ciaddr) and did not ask for a broadcast gets a
 * unicast; a ciaddr that is not the lease is the guest's own idea, and gets a broadcast
 * too, so that the guest cannot aim our packets at an address of its choice. NAKs are
 * always broadcast. */
static struct sockaddr_in reply_destination(const struct dhcp_server *server, const struct dhcp_message *message,
                                            uint8_t type)
{
        struct sockaddr_in destination = {
                .sin_family = AF_INET,
                .sin_port = htobe16(DHCP_CLIENT_PORT),
                .sin_addr.s_addr = INADDR_BROADCAST,
        };

        if (type != DHCPNAK && message->ciaddr == server->lease.address.s_addr &&
            !(be16toh(message->flags) & DHCP_FLAG_BROADCAST))
                destination.sin_addr.s_addr = message->ciaddr;
        return destination;
}

/* Failures are not logged: the guest decides how often we would log them. */
static void send_reply(const struct dhcp_server *server, const struct dhcp_request *request, uint8_t type,
                       uint32_t address)
{
        struct dhcp_reply reply = {};
        struct sockaddr_in destination = reply_destination(server, request->message, type);
        size_t size;
        int n_options;

        fill_header(request, type, address, &reply.message);
        n_options = build_options(server, request, type, address, &reply);
        if (n_options < 0)
                return;
        size = MAX(sizeof(struct dhcp_message) + (size_t)n_options, (size_t)BOOTP_MIN_SIZE);

        (void)sendto(server->fd, &reply, size, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&destination,
                     sizeof(destination));
}

/* RFC 2131 §4.3.2: which state the client is in follows from the options it sent.
 * SELECTING names a server (54): another server's choice is none of our business; ours
 * must ask for our address (50). INIT-REBOOT asks for an address (50) it had; RENEWING
 * and REBINDING have one already (ciaddr). An address other than the lease gets a NAK, so
 * that the client starts over and takes ours. */
static void answer_request(const struct dhcp_server *server, const struct dhcp_request *request)
{
        uint32_t ours = server->lease.address.s_addr, wanted;

        if (request->server_id != 0 && request->server_id != server->lease.server.s_addr)
                return;
        wanted = request->requested != 0 ? request->requested : request->message->ciaddr;
        if (wanted == 0) /* neither: not a REQUEST of any state */
                return;

        if (wanted == ours)
                send_reply(server, request, DHCPACK, ours);
        else
                send_reply(server, request, DHCPNAK, 0);
}

static void answer(const struct dhcp_server *server, const struct dhcp_request *request)
{
        switch (request->type) {
        case DHCPDISCOVER: /* RFC 2131 §4.3.1: our one address, whatever was asked */
                send_reply(server, request, DHCPOFFER, server->lease.address.s_addr);
                break;
        case DHCPREQUEST:
                answer_request(server, request);
                break;
        case DHCPINFORM: /* RFC 2131 §4.3.5: parameters, no address */
                send_reply(server, request, DHCPACK, 0);
                break;
        default:
                /* DECLINE (§4.3.3): we have no other address to give; RELEASE (§4.3.4):
                 * the address stays the guest's anyway. Replies from another server
                 * (OFFER, ACK, NAK) on our link: not for us. */
                break;
        }
}

static int on_dhcp_readable(struct event_source *source, int fd, uint32_t revents, void *userdata)
{
        const struct dhcp_server *server = userdata;
        /* Aligned for struct dhcp_message, which the request's fields are read through. */
        union {
                struct dhcp_message message;
                uint8_t bytes[DHCP_RECEIVE_MAX];
        } datagram;
        struct dhcp_request request;
        ssize_t n;

        /* MSG_TRUNC: the datagram's real length, so that a longer one is seen and dropped,
         * not read cut short. */
        n = recv(fd, &datagram, sizeof(datagram), MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0 || (size_t)n > sizeof(datagram))
                return 0; /* EAGAIN, EINTR or a datagram no client sends: the loop goes on */

        if (parse_request(&datagram.message, (size_t)n, &request) < 0)
                return 0;
        /* hlen is 6 (parse_request() checked): chaddr's first six bytes are the address. */
        if (server->lease.match_client && memcmp(datagram.message.chaddr, server->lease.client_mac, 6) != 0)
                return 0;
        answer(server, &request);
        return 0;
}

/* Port 67 on the link IFNAME only: SO_BINDTODEVICE before bind(), so that no datagram from
 * another link is ever queued, and so that our broadcasts leave through this link.
 * SO_REUSEADDR lets us share port 67 with a host's DHCP server on 0.0.0.0 that set it too
 * (dnsmasq does); the kernel gives our link's datagrams to the socket bound to it. */
static int open_socket(const char *ifname)
{
        static const int one = 1;
        struct sockaddr_in address = {
                .sin_family = AF_INET,
                .sin_port = htobe16(DHCP_SERVER_PORT),
                .sin_addr.s_addr = INADDR_ANY,
        };
        _cleanup_close_ int fd = -EBADF;

        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return log_error_errno(-errno, "Failed to make the DHCP server's socket: %m");
        if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname) + 1) < 0)
                return log_error_errno(-errno, "Failed to bind the DHCP server to %s: %m", ifname);
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0)
                return log_error_errno(-errno, "Failed to set the DHCP server's socket options: %m");
        if (bind(fd, (const struct sockaddr *)&address, sizeof(address)) < 0)
                return log_error_errno(-errno, "Failed to bind the DHCP server to port %d on %s: %m", DHCP_SERVER_PORT,
                                       ifname);
        return TAKE_FD(fd);
}

/* The caller's lease, checked: a bad one is a bug of ours, not the user's. */
static int check_lease(const struct dhcp_lease *lease)
{
        if (lease->server.s_addr == 0 || lease->address.s_addr == 0 || lease->prefix > 32 ||
            lease->n_dns > ELEMENTSOF(lease->dns) || lease->lease_seconds == 0)
                return -EINVAL;
        if (lease->domain && (lease->domain[0] == '\0' || strlen(lease->domain) > DHCP_DOMAIN_MAX))
                return -EINVAL;
        return 0;
}

static void dhcp_server_freep(struct dhcp_server **server)
{
        dhcp_server_free(*server);
}

int dhcp_server_start(struct event *event, int ifindex, const struct dhcp_lease *lease, struct dhcp_server **ret)
{
        _cleanup_(dhcp_server_freep) struct dhcp_server *server = NULL;
        char ifname[IF_NAMESIZE];
        int r;

        if (ifindex <= 0 || check_lease(lease) < 0)
                return log_error_errno(-EINVAL, "Invalid DHCP lease for link %d: %m", ifindex);
        if (!if_indextoname((unsigned)ifindex, ifname))
                return log_error_errno(-errno, "Failed to find the name of link %d for its DHCP server: %m", ifindex);

        server = calloc(1, sizeof(*server));
        if (!server)
                return log_error_errno(-ENOMEM, "Failed to start the DHCP server on %s: %m", ifname);
        server->fd = -EBADF;
        server->lease = *lease;
        if (lease->domain) {
                server->domain = strdup(lease->domain);
                if (!server->domain)
                        return log_error_errno(-ENOMEM, "Failed to start the DHCP server on %s: %m", ifname);
                server->lease.domain = server->domain;
        }

        server->fd = open_socket(ifname);
        if (server->fd < 0)
                return server->fd;
        r = event_add_io(event, &server->io, server->fd, EPOLLIN, on_dhcp_readable, server);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the DHCP server's socket on %s: %m", ifname);

        *ret = TAKE_PTR(server);
        return 0;
}

void dhcp_server_free(struct dhcp_server *server)
{
        if (!server)
                return;
        event_source_free(server->io);
        if (server->fd >= 0)
                close(server->fd);
        free(server->domain);
        free(server);
}
