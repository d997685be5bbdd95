/*
 * pcapng.h - pcapng block and option codes shared by the reader (analyze/pcapng.c) and the
 * capture helper's writer (cmd/pcapdomains-capture). Format: draft-ietf-opsawg-pcapng.
 *
 * Container metadata written by pcapdomains-capture: in the section header block, one
 * opt_comment per key as "pcapdomains.KEY=VALUE" (keys: PD_META_*), plus one human-readable
 * opt_comment, shb_hardware, shb_os and shb_userappl ("pcapdomains-capture VERSION").
 * Readers that know nothing of pcapdomains (Wireshark, tshark, capinfos) still show them.
 */
#ifndef PD_PCAPNG_H
#define PD_PCAPNG_H

#define PD_PCAPNG_SHB 0x0A0D0D0Au
#define PD_PCAPNG_IDB 0x00000001u
#define PD_PCAPNG_PB 0x00000002u /* obsolete packet block */
#define PD_PCAPNG_SPB 0x00000003u
#define PD_PCAPNG_NRB 0x00000004u
#define PD_PCAPNG_ISB 0x00000005u
#define PD_PCAPNG_EPB 0x00000006u
#define PD_PCAPNG_DSB 0x0000000Au /* decryption secrets */
#define PD_PCAPNG_CB 0x00000BADu  /* custom block, copyable */
#define PD_PCAPNG_CB_NOCOPY 0x40000BADu

#define PD_PCAPNG_BYTE_ORDER_MAGIC 0x1A2B3C4Du

/* Option codes common to all blocks. */
#define PD_OPT_ENDOFOPT 0
#define PD_OPT_COMMENT 1
/* Section header. */
#define PD_SHB_HARDWARE 2
#define PD_SHB_OS 3
#define PD_SHB_USERAPPL 4
/* Interface description. */
#define PD_IF_NAME 2
#define PD_IF_DESCRIPTION 3
#define PD_IF_IPV4ADDR 4 /* 4-byte address + 4-byte netmask, repeatable */
#define PD_IF_IPV6ADDR 5 /* 16-byte address + 1-byte prefix length, repeatable */
#define PD_IF_TSRESOL 9
#define PD_IF_FILTER 11
#define PD_IF_OS 12
#define PD_IF_TSOFFSET 14
/* Enhanced packet. */
#define PD_EPB_FLAGS 2 /* bits 0-1: 01 inbound, 10 outbound */
#define PD_EPB_DROPCOUNT 4
/* Interface statistics. */
#define PD_ISB_STARTTIME 2
#define PD_ISB_ENDTIME 3
#define PD_ISB_IFRECV 4
#define PD_ISB_IFDROP 5
#define PD_ISB_FILTERACCEPT 6
#define PD_ISB_OSDROP 7
#define PD_ISB_USRDELIV 8

/* Metadata keys carried as "pcapdomains.KEY=VALUE" section-header comments. */
#define PD_META_PREFIX "pcapdomains."
#define PD_META_RUNTIME "runtime"     /* docker | podman | cri | pid | netns */
#define PD_META_ID "container_id"
#define PD_META_NAME "container_name"
#define PD_META_IMAGE "image"
#define PD_META_PID "pid"
#define PD_META_NETNS "netns_inode"
#define PD_META_HOST "host"
#define PD_META_FILTER "filter"
#define PD_META_VERSION "helper_version"
/* Rotated files (-C/-G/-W) of one helper run: the run's id, shared by all its files, and the
 * file's sequence number (0, 1, 2 ... before -W wraps the names); the analyzer links them into
 * one capture session (analyze/session.c). */
#define PD_META_SESSION "session"
#define PD_META_FILE_SEQ "file_seq"

#endif
