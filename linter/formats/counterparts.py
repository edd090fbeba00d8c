"""The names of a host's files as ``HostDocs.missing`` and notes name them ("no master.cf
was found ..."): each format's ``counterpart``, and main.cf's fragments."""

MAIN_CF = "main.cf"
MASTER_CF = "master.cf"
DOVECOT_TREE = "Dovecot configuration"
# main.cf.<part> fragments next to a whole main.cf, which an installer may append to it
FRAGMENTS = "main.cf fragments"
