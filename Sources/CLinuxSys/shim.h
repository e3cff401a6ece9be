// Linux calls the Glibc module does not import: extended attributes.
#include <sys/types.h>
#include <sys/xattr.h>
