// Linux calls the Glibc module does not import: extended attributes, malloc tuning.
#include <sys/types.h>
#include <sys/xattr.h>
#include <malloc.h>
