/*-------------------------------------------------------------------------
 *
 * file_profile.c
 *	  The delivery profile file: the signed document and a manifest written
 *	  to a directory for manual upload in the employer's cabinet.
 *
 * For a submission the profile writes two files to org_delivery.file_dir:
 *   BIN_PERIOD_tsTIMESHEET_partPofN_MESSAGEID.xml            the document
 *   BIN_PERIOD_tsTIMESHEET_partPofN_MESSAGEID.manifest.json  its manifest
 * The document is the signed document of the submission, byte for byte in
 * UTF-8, so its SHA-256 is the document_sha256 of the ledger.  The manifest
 * names the file, the message id, that SHA-256, the period, the
 * organization's BIN, the part and the submission, and contains nothing
 * that changes between two writes.
 *
 * Each file is written to a temporary name in the same directory, flushed
 * with fsync, and renamed to its final name.  Then the directory is flushed.
 * The manifest is written after the document, so a manifest names a
 * document that is complete.  A worker that stops after writing and before
 * recording the status leaves the submission to be delivered again, under
 * the same names: a file that is already there with the same content is
 * kept, so the directory gets each document once.  A file of that name with
 * other content is never replaced, and the submission fails.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "portability/instr_time.h"
#include "storage/fd.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "delivery/profile.h"

/* Mode of the written files before the server's umask applies */
#define FILE_PROFILE_MODE (S_IRUSR | S_IWUSR | S_IRGRP)

/* What write_file_once did */
typedef enum WriteResult
{
	WRITE_CREATED,				/* the file is new */
	WRITE_ALREADY_PRESENT		/* it was there with the same content */
} WriteResult;

/*
 * Reads up to size bytes of fd into buffer and returns how many it read,
 * fewer only at the end of the file.
 */
static size_t
read_whole(int fd, const char *path, char *buffer, size_t size)
{
	size_t		total = 0;

	while (total < size)
	{
		ssize_t		count = read(fd, buffer + total, size - total);

		if (count < 0 && errno == EINTR)
			continue;
		if (count < 0)
		{
			int			saved_errno = errno;

			close(fd);
			errno = saved_errno;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", path)));
		}
		if (count == 0)
			break;
		total += count;
	}
	return total;
}

/*
 * Tells whether path is a regular file whose content is exactly data.
 * Returns false when it does not exist.  Raises ERRCODE_DUPLICATE_FILE when
 * it exists with other content.
 */
static bool
same_file_present(const char *path, const char *data, size_t length)
{
	int			fd = open(path, O_RDONLY | PG_BINARY, 0);
	struct stat st;
	char	   *content;
	bool		same;

	if (fd < 0)
	{
		if (errno == ENOENT)
			return false;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", path)));
	}
	if (fstat(fd, &st) != 0)
	{
		int			saved_errno = errno;

		close(fd);
		errno = saved_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	}
	if (!S_ISREG(st.st_mode) || (size_t) st.st_size != length)
	{
		close(fd);
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_FILE),
				 errmsg("file \"%s\" already exists with other content", path),
				 errdetail("It is not a regular file of the %zu bytes to write.",
						   length),
				 errhint("Move the file away if it is not the submission's, and build and submit a new version of the timesheet.")));
	}
	content = palloc(length + 1);
	same = read_whole(fd, path, content, length + 1) == length &&
		memcmp(content, data, length) == 0;
	pfree(content);
	close(fd);
	if (!same)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_FILE),
				 errmsg("file \"%s\" already exists with other content", path),
				 errhint("Move the file away if it is not the submission's, and build and submit a new version of the timesheet.")));
	return true;
}

/* Writes all of data to fd, raising an error that names path. */
static void
write_all(int fd, const char *path, const char *data, size_t length)
{
	while (length > 0)
	{
		ssize_t		written = write(fd, data, length);

		if (written < 0 && errno == EINTR)
			continue;
		if (written <= 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not write file \"%s\": %m", path)));
		data += written;
		length -= written;
	}
}

/*
 * Writes data to dir/name through a temporary file, fsync and rename,
 * unless the file is there with the same content already.
 */
static WriteResult
write_file_once(const char *dir, const char *name, const char *data,
				size_t length)
{
	char	   *path = psprintf("%s/%s", dir, name);
	char	   *temporary = psprintf("%s/.%s.tmp", dir, name);
	int			fd;

	if (same_file_present(path, data, length))
		return WRITE_ALREADY_PRESENT;

	/* a temporary file left by a stopped worker is overwritten */
	fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY,
			  FILE_PROFILE_MODE);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", temporary),
				 errhint("Check that the directory otan_enbek.org_delivery.file_dir exists and that the database server's operating system user may write to it.")));
	PG_TRY();
	{
		write_all(fd, temporary, data, length);
		if (pg_fsync(fd) != 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not fsync file \"%s\": %m", temporary)));
	}
	PG_FINALLY();
	{
		close(fd);
	}
	PG_END_TRY();

	if (rename(temporary, path) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not rename file \"%s\" to \"%s\": %m",
						temporary, path)));
	return WRITE_CREATED;
}

/* Flushes the directory, so that the renames survive a crash. */
static void
fsync_directory(const char *dir)
{
	int			fd = open(dir, O_RDONLY | PG_BINARY, 0);

	if (fd < 0 || pg_fsync(fd) != 0)
	{
		int			saved_errno = errno;

		if (fd >= 0)
			close(fd);
		errno = saved_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not fsync directory \"%s\": %m", dir)));
	}
	close(fd);
}

/* Returns the SHA-256 of the bytes in lower-case hexadecimal. */
static char *
sha256_hex(const char *data, size_t length)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_length = 0;
	char	   *hex;

	if (EVP_Digest(data, length, digest, &digest_length, EVP_sha256(),
				   NULL) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute a SHA-256 digest")));
	hex = palloc(digest_length * 2 + 1);
	for (unsigned int i = 0; i < digest_length; i++)
		sprintf(hex + i * 2, "%02x", digest[i]);
	return hex;
}

/* Appends "key": value as a JSON string member. */
static void
append_member(StringInfo json, const char *key, const char *value)
{
	if (json->len > 1)
		appendStringInfoString(json, ", ");
	escape_json(json, key);
	appendStringInfoString(json, ": ");
	escape_json(json, value);
}

/* Builds the manifest of a submission, in UTF-8. */
static char *
build_manifest(DeliveryItem *item, const char *file_name, const char *sha256)
{
	DeliveryTarget *target = item->target;
	StringInfoData json;
	char	   *utf8;

	initStringInfo(&json);
	appendStringInfoChar(&json, '{');
	append_member(&json, "file", file_name);
	append_member(&json, "message_id", item->message_id);
	append_member(&json, "sha256", sha256);
	append_member(&json, "period", target->period);
	append_member(&json, "org_bin", target->bin);
	append_member(&json, "service_id", item->service_id);
	appendStringInfo(&json,
					 ", \"timesheet_id\": %d, \"part_no\": %d, \"part_count\": %d, \"submission_id\": %lld}\n",
					 target->timesheet_id, target->part_no, target->part_count,
					 (long long) item->submission_id);
	utf8 = pg_server_to_any(json.data, json.len, PG_UTF8);
	return utf8;
}

/*
 * Writes the document and the manifest of a claimed submission and returns
 * the verdict written.  Raises an error when it cannot.
 */
static DeliveryVerdict *
write_submission(DeliveryItem *item)
{
	DeliveryTarget *target = item->target;
	DeliveryVerdict *verdict;
	char	   *stem;
	char	   *document;
	char	   *manifest;
	char	   *sha256;
	char	   *document_name;
	char	   *manifest_name;
	WriteResult document_result;
	WriteResult manifest_result;
	StringInfoData detail;

	if (target == NULL || target->file_dir == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("organization %d has no file directory for the delivery profile file",
						item->org_id),
				 errhint("Set otan_enbek.org_delivery.file_dir of the organization, as a superuser.")));
	if (item->document == NULL)
		elog(ERROR, "submission %lld was claimed without its document",
			 (long long) item->submission_id);

	document = pg_server_to_any(item->document, strlen(item->document),
								PG_UTF8);
	sha256 = sha256_hex(document, strlen(document));
	if (target->document_sha256 == NULL ||
		strcmp(sha256, target->document_sha256) != 0)
		elog(ERROR, "the document of submission %lld does not have the SHA-256 of the ledger",
			 (long long) item->submission_id);

	stem = psprintf("%s_%s_ts%d_part%dof%d_%s", target->bin, target->period,
					target->timesheet_id, target->part_no, target->part_count,
					item->message_id);
	document_name = psprintf("%s.xml", stem);
	manifest_name = psprintf("%s.manifest.json", stem);
	manifest = build_manifest(item, document_name, sha256);

	document_result = write_file_once(target->file_dir, document_name,
									  document, strlen(document));
	manifest_result = write_file_once(target->file_dir, manifest_name,
									  manifest, strlen(manifest));
	fsync_directory(target->file_dir);

	initStringInfo(&detail);
	appendStringInfoChar(&detail, '{');
	append_member(&detail, "profile", "file");
	append_member(&detail, "file", psprintf("%s/%s", target->file_dir,
											document_name));
	append_member(&detail, "manifest", psprintf("%s/%s", target->file_dir,
												manifest_name));
	append_member(&detail, "sha256", sha256);
	appendStringInfo(&detail, ", \"already_present\": %s}",
					 document_result == WRITE_ALREADY_PRESENT &&
					 manifest_result == WRITE_ALREADY_PRESENT ?
					 "true" : "false");

	verdict = palloc0(sizeof(DeliveryVerdict));
	verdict->kind = VERDICT_WRITTEN;
	verdict->retry_after_s = -1;
	verdict->code = pstrdup("WRITTEN");
	verdict->message = psprintf("written to %s/%s for manual upload in the employer's cabinet",
								target->file_dir, document_name);
	verdict->detail = detail.data;
	return verdict;
}

/*
 * Delivers a claimed submission of the profile file.  A file of the same
 * name with other content fails the submission at once (rejected request),
 * because writing again cannot help.  Every other error, such as a missing
 * directory or a full disk, is transient: the worker tries again with
 * backoff and fails the submission after max_attempts.
 */
DeliveryVerdict *
file_profile_deliver(DeliveryItem *item)
{
	MemoryContext caller = CurrentMemoryContext;
	DeliveryVerdict *volatile verdict = NULL;
	instr_time	start;
	instr_time	duration;

	INSTR_TIME_SET_CURRENT(start);
	PG_TRY();
	{
		verdict = write_submission(item);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
		ereport(WARNING,
				(errmsg("otan_enbek could not write submission %lld for manual upload: %s",
						(long long) item->submission_id, edata->message)));
		verdict = palloc0(sizeof(DeliveryVerdict));
		verdict->kind = edata->sqlerrcode == ERRCODE_DUPLICATE_FILE ?
			VERDICT_REJECTED_REQUEST : VERDICT_TRANSIENT;
		verdict->retry_after_s = -1;
		verdict->message = pstrdup(edata->message);
		verdict->detail = pstrdup("{\"request\": \"send\", \"profile\": \"file\"}");
		FreeErrorData(edata);
	}
	PG_END_TRY();
	INSTR_TIME_SET_CURRENT(duration);
	INSTR_TIME_SUBTRACT(duration, start);
	verdict->duration_ms = (int) INSTR_TIME_GET_MILLISEC(duration);
	return verdict;
}
