/*
 * reflection.c — gRPC server reflection (grpc.reflection.v1 and its
 * wire-identical v1alpha), so grpcurl and other tools list and describe
 * hrd's services without the .proto files.
 *
 * The descriptors served are embedded at build time (CMakeLists.txt:
 * protoc --descriptor_set_out --include_imports over homerack.proto and
 * the health and reflection protos): a FileDescriptorSet, read here in
 * place — each file's FileDescriptorProto is sent as the bytes protoc
 * wrote, so nothing is re-encoded. Only the fields reflection needs are
 * looked at: a file's name, package, dependencies and top-level
 * message, enum and service names.
 *
 * ServerReflectionInfo is a bidirectional stream of exchanges
 * (HR_BIDI_EXCHANGES): each request gets one response.
 */
#include <stdio.h>
#include <string.h>

#include "methods.h"
#include "reflection.pb-c.h"

extern const unsigned char hr_descriptor_set[];
extern const size_t hr_descriptor_set_len;

/* More than the set holds (four files and their imports). */
#define FILES_MAX 16
#define SERVICES_MAX 32

/* ---- reading protobuf in place ----------------------------------------- */

/* A length-delimited value inside the embedded set. */
typedef struct span {
	const uint8_t *p;
	size_t len;
} span;

static int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t b = *(*p)++;

		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
	}
	return -1;
}

/* The next length-delimited field of msg at or after *at (advanced past
 * it): its number in *field and value in *out. 0 when none is left.
 * Other wire types are skipped. */
static int next_bytes(span msg, size_t *at, uint32_t *field, span *out)
{
	const uint8_t *p = msg.p + *at, *end = msg.p + msg.len;
	uint64_t key, v;

	while (p < end) {
		if (read_varint(&p, end, &key) < 0)
			return 0;
		switch (key & 7) {
		case 0:
			if (read_varint(&p, end, &v) < 0)
				return 0;
			continue;
		case 1:
			p += 8;
			continue;
		case 5:
			p += 4;
			continue;
		case 2:
			if (read_varint(&p, end, &v) < 0 || v > (uint64_t)(end - p))
				return 0;
			*field = (uint32_t)(key >> 3);
			out->p = p;
			out->len = (size_t)v;
			*at = (size_t)(p + v - msg.p);
			return 1;
		default:
			return 0;
		}
	}
	return 0;
}

/* The first length-delimited field numbered want in msg (empty if none). */
static span field_of(span msg, uint32_t want)
{
	span out = {NULL, 0};
	size_t at = 0;
	uint32_t field;

	while (next_bytes(msg, &at, &field, &out))
		if (field == want)
			return out;
	out.p = NULL;
	out.len = 0;
	return out;
}

/* FileDescriptorProto: name 1, package 2, dependency 3, message_type 4,
 * enum_type 5, service 6. A DescriptorProto's (etc.) name is field 1. */
enum { FD_NAME = 1, FD_PACKAGE = 2, FD_DEPENDENCY = 3, FD_MESSAGE = 4,
       FD_ENUM = 5, FD_SERVICE = 6 };

/* Call fn with each file of the set; stop when it returns non-zero. */
static span file_where(int (*fn)(span file, const void *ud), const void *ud)
{
	span set = {hr_descriptor_set, hr_descriptor_set_len}, file;
	size_t at = 0;
	uint32_t field;

	while (next_bytes(set, &at, &field, &file))
		if (field == 1 && fn(file, ud))
			return file;
	file.p = NULL;
	file.len = 0;
	return file;
}

static int file_named(span file, const void *ud)
{
	const span *name = ud;
	span n = field_of(file, FD_NAME);

	return n.len == name->len && memcmp(n.p, name->p, n.len) == 0;
}

/* Whether file declares symbol: "pkg.Name" or anything inside it
 * ("pkg.Service.Method", "pkg.Message.Nested"), for a top-level
 * message, enum or service Name. */
static int file_declares(span file, const void *ud)
{
	const char *symbol = ud;
	size_t slen = strlen(symbol), at = 0;
	span pkg = field_of(file, FD_PACKAGE), v;
	uint32_t field;

	if (slen <= pkg.len + 1 || memcmp(symbol, pkg.p, pkg.len) != 0 ||
	    symbol[pkg.len] != '.')
		return 0;
	symbol += pkg.len + 1;
	slen -= pkg.len + 1;
	while (next_bytes(file, &at, &field, &v)) {
		span name;
		size_t n;

		if (field != FD_MESSAGE && field != FD_ENUM && field != FD_SERVICE)
			continue;
		name = field_of(v, 1);
		n = name.len;
		if (n <= slen && memcmp(symbol, name.p, n) == 0 &&
		    (symbol[n] == '\0' || symbol[n] == '.'))
			return 1;
	}
	return 0;
}

/* ---- answers ------------------------------------------------------------ */

typedef Grpc__Reflection__V1__ServerReflectionResponse response_t;

/* file and everything it imports, transitively, into files (deduped). */
static void add_with_deps(span file, ProtobufCBinaryData *files, size_t *n)
{
	size_t at = 0;
	uint32_t field;
	span dep;

	for (size_t i = 0; i < *n; i++)
		if (files[i].data == file.p)
			return;
	if (*n == FILES_MAX)
		return;
	files[*n].data = (uint8_t *)file.p;
	files[(*n)++].len = file.len;
	while (next_bytes(file, &at, &field, &dep)) {
		span f;

		if (field == FD_DEPENDENCY &&
		    (f = file_where(file_named, &dep)).p != NULL)
			add_with_deps(f, files, n);
	}
}

static void answer_error(hr_call *call, response_t *resp, hr_code code,
			 const char *message)
{
	Grpc__Reflection__V1__ErrorResponse err =
		GRPC__REFLECTION__V1__ERROR_RESPONSE__INIT;

	err.error_code = (int32_t)code;
	err.error_message = (char *)message;
	resp->message_response_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE;
	resp->error_response = &err;
	hr_call_send(call, &resp->base);
}

static void answer_files(hr_call *call, response_t *resp, span file)
{
	Grpc__Reflection__V1__FileDescriptorResponse fdr =
		GRPC__REFLECTION__V1__FILE_DESCRIPTOR_RESPONSE__INIT;
	ProtobufCBinaryData files[FILES_MAX];
	size_t n = 0;

	add_with_deps(file, files, &n);
	fdr.file_descriptor_proto = files;
	fdr.n_file_descriptor_proto = n;
	resp->message_response_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE;
	resp->file_descriptor_response = &fdr;
	hr_call_send(call, &resp->base);
}

/* The services of the reflected files that hrd serves: every one. */
static void answer_services(hr_call *call, response_t *resp)
{
	Grpc__Reflection__V1__ListServiceResponse list =
		GRPC__REFLECTION__V1__LIST_SERVICE_RESPONSE__INIT;
	Grpc__Reflection__V1__ServiceResponse svc[SERVICES_MAX];
	Grpc__Reflection__V1__ServiceResponse *ptrs[SERVICES_MAX];
	char names[SERVICES_MAX][128];
	span set = {hr_descriptor_set, hr_descriptor_set_len}, file, v;
	size_t at = 0, n = 0;
	uint32_t field, ffield;

	while (next_bytes(set, &at, &field, &file)) {
		span pkg = field_of(file, FD_PACKAGE);
		size_t fat = 0;

		while (field == 1 && next_bytes(file, &fat, &ffield, &v)) {
			span name = field_of(v, 1);

			if (ffield != FD_SERVICE || n == SERVICES_MAX)
				continue;
			snprintf(names[n], sizeof names[n], "%.*s.%.*s",
				 (int)pkg.len, (const char *)pkg.p,
				 (int)name.len, (const char *)name.p);
			grpc__reflection__v1__service_response__init(&svc[n]);
			svc[n].name = names[n];
			ptrs[n] = &svc[n];
			n++;
		}
	}
	list.service = ptrs;
	list.n_service = n;
	resp->message_response_case =
		GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE;
	resp->list_services_response = &list;
	hr_call_send(call, &resp->base);
}

static void reflection_start(hr_call *call, const ProtobufCMessage *request)
{
	const Grpc__Reflection__V1__ServerReflectionRequest *req =
		(const Grpc__Reflection__V1__ServerReflectionRequest *)request;
	response_t resp = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__INIT;
	Grpc__Reflection__V1__ExtensionNumberResponse ext =
		GRPC__REFLECTION__V1__EXTENSION_NUMBER_RESPONSE__INIT;
	span file, name;

	resp.valid_host = req->host;
	resp.original_request =
		(Grpc__Reflection__V1__ServerReflectionRequest *)req;
	switch (req->message_request_case) {
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
		answer_services(call, &resp);
		break;
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
		name.p = (const uint8_t *)req->file_by_filename;
		name.len = strlen(req->file_by_filename);
		if ((file = file_where(file_named, &name)).p != NULL)
			answer_files(call, &resp, file);
		else
			answer_error(call, &resp, HR_NOT_FOUND, "no such file");
		break;
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
		if ((file = file_where(file_declares, req->file_containing_symbol)).p != NULL)
			answer_files(call, &resp, file);
		else
			answer_error(call, &resp, HR_NOT_FOUND, "no such symbol");
		break;
	case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
		/* No message of ours has extensions. */
		if (file_where(file_declares, req->all_extension_numbers_of_type).p == NULL) {
			answer_error(call, &resp, HR_NOT_FOUND, "no such type");
			break;
		}
		ext.base_type_name = req->all_extension_numbers_of_type;
		resp.message_response_case =
			GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE;
		resp.all_extension_numbers_response = &ext;
		hr_call_send(call, &resp.base);
		break;
	default:
		answer_error(call, &resp, HR_NOT_FOUND, "no such extension");
		break;
	}
	hr_call_finish(call, HR_OK, "%s", "");
}

const hr_method hr_method_reflection_v1 = {
	.path = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
	.kind = HR_BIDI_EXCHANGES,
	.request_type = &grpc__reflection__v1__server_reflection_request__descriptor,
	.start = reflection_start,
};

/* v1alpha is the same messages under another package. */
const hr_method hr_method_reflection_v1alpha = {
	.path = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
	.kind = HR_BIDI_EXCHANGES,
	.request_type = &grpc__reflection__v1__server_reflection_request__descriptor,
	.start = reflection_start,
};
