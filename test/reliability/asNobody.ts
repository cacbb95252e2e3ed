// Preloaded (NODE_OPTIONS=--require) into a CLI child by the EACCES cases: when running as root, the child
// drops to the user and group `nobody`, so an unreadable file is unreadable to it as it is to a user.
if (process.getuid?.() === 0) {
  process.setgid?.('nogroup');
  process.setuid?.('nobody');
}
