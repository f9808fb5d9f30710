# Dovecot Sieve (Pigeonhole): pipe a copy of the message to autoreply with the
# vnd.dovecot.pipe extension; ":copy" keeps the implicit keep, so the message
# is still filed into INBOX. The program name is looked up in
# sieve_pipe_bin_dir (see 90-sieve-extprograms.conf); Dovecot passes SENDER,
# RECIPIENT, HOME and USER in the environment.
#
# Sieve has its own "vacation" extension; use autoreply when you want Exim's
# options (text + file, once_repeat, the log) and its safety rules.
require ["vnd.dovecot.pipe", "copy"];

pipe :copy "autoreply" ["vacation"];
