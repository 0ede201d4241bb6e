/*-------------------------------------------------------------------------
 *
 * identity.h
 *	  Validation of IIN and BIN, Kazakhstan's 12-digit identification numbers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_IDENTITY_H
#define OTAN_ENBEK_IDENTITY_H

#include <stddef.h>

#define KZ_ID_LENGTH 12

extern int	kz_id_check_digit(const char *digits);
extern const char *kz_iin_problem(const char *value, size_t len);
extern const char *kz_bin_problem(const char *value, size_t len);
extern char *kz_mask_iin(const char *value, size_t len);

#endif							/* OTAN_ENBEK_IDENTITY_H */
