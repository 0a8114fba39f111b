/* The rows of a chunk that are certainly valid, counted per (UTC day, event type) in one pass over the bytes.
 *
 * The compiled twin of the regular expression in quick_count.py, for callers that keep no events (`summarize`, a
 * strict upload's validating pass): the same promise (a line is counted only when the exact parser would accept it
 * as a row; every other line is left to that parser), kept by the same differential tests. A line is counted when it is printable ASCII, has one field per
 * column, and after spaces are stripped its user_id and event_type are within their lengths and its timestamp is
 * `YYYY-MM-DD[T ]HH:MM:SS`, a fraction of 1 to 6 digits or none, then `Z`, `+00:00` or nothing (naive is UTC), on
 * a calendar day wholly within the bounds. No Python object is made per row: that is what the regular expression
 * path spends most of its time on.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define DAY_LENGTH 10
#define SHORTEST_STAMP 19 /* YYYY-MM-DDTHH:MM:SS */
#define LONGEST_FRACTION 6

typedef struct {
    const char *type;
    Py_ssize_t type_length;
    const char *day;
    Py_ssize_t count;
} Key;

typedef struct {
    Key *keys;
    size_t capacity; /* a power of two */
    size_t used;
} Counts;

typedef struct {
    Py_ssize_t *lines;
    size_t capacity;
    size_t used;
} Leftover;

static uint64_t key_hash(const char *type, Py_ssize_t type_length, const char *day) {
    uint64_t hash = 1469598103934665603ULL; /* FNV-1a */
    for (Py_ssize_t i = 0; i < type_length; i++) hash = (hash ^ (unsigned char)type[i]) * 1099511628211ULL;
    for (int i = 0; i < DAY_LENGTH; i++) hash = (hash ^ (unsigned char)day[i]) * 1099511628211ULL;
    return hash;
}

static int counts_grow(Counts *counts) {
    size_t capacity = counts->capacity ? counts->capacity * 2 : 64;
    Key *keys = calloc(capacity, sizeof(Key));
    if (keys == NULL) return -1;
    for (size_t i = 0; i < counts->capacity; i++) {
        Key *old = &counts->keys[i];
        if (old->type == NULL) continue;
        size_t slot = key_hash(old->type, old->type_length, old->day) & (capacity - 1);
        while (keys[slot].type != NULL) slot = (slot + 1) & (capacity - 1);
        keys[slot] = *old;
    }
    free(counts->keys);
    counts->keys = keys;
    counts->capacity = capacity;
    return 0;
}

static int counts_add(Counts *counts, const char *type, Py_ssize_t type_length, const char *day) {
    if (2 * (counts->used + 1) > counts->capacity && counts_grow(counts) < 0) return -1;
    size_t slot = key_hash(type, type_length, day) & (counts->capacity - 1);
    for (;;) {
        Key *key = &counts->keys[slot];
        if (key->type == NULL) {
            *key = (Key){type, type_length, day, 1};
            counts->used++;
            return 0;
        }
        if (key->type_length == type_length && memcmp(key->type, type, (size_t)type_length) == 0 &&
            memcmp(key->day, day, DAY_LENGTH) == 0) {
            key->count++;
            return 0;
        }
        slot = (slot + 1) & (counts->capacity - 1);
    }
}

static int leftover_add(Leftover *leftover, Py_ssize_t line) {
    if (leftover->used == leftover->capacity) {
        size_t capacity = leftover->capacity ? leftover->capacity * 2 : 256;
        Py_ssize_t *lines = realloc(leftover->lines, capacity * sizeof(Py_ssize_t));
        if (lines == NULL) return -1;
        leftover->lines = lines;
        leftover->capacity = capacity;
    }
    leftover->lines[leftover->used++] = line;
    return 0;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int two_digits(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

static int days_in_month(int year, int month) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) return 29;
    return days[month - 1];
}

/* Whether the stripped value s[0:n] is a UTC timestamp in one of the common shapes on a day within the bounds. */
static int common_timestamp(const char *s, Py_ssize_t n, const char *first_day, const char *last_day) {
    static const int digits[] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
    if (n < SHORTEST_STAMP) return 0;
    for (size_t i = 0; i < sizeof(digits) / sizeof(digits[0]); i++)
        if (!is_digit(s[digits[i]])) return 0;
    if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':') return 0;
    if (two_digits(s + 11) > 23 || s[14] > '5' || s[17] > '5') return 0;
    Py_ssize_t at = SHORTEST_STAMP;
    if (at < n && s[at] == '.') {
        Py_ssize_t fraction = 0;
        while (at + 1 + fraction < n && is_digit(s[at + 1 + fraction]) && fraction <= LONGEST_FRACTION) fraction++;
        if (fraction < 1 || fraction > LONGEST_FRACTION) return 0;
        at += 1 + fraction;
    }
    Py_ssize_t rest = n - at;
    if (!(rest == 0 || (rest == 1 && s[at] == 'Z') || (rest == 6 && memcmp(s + at, "+00:00", 6) == 0))) return 0;
    int year = two_digits(s) * 100 + two_digits(s + 2), month = two_digits(s + 5), day = two_digits(s + 8);
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return 0;
    return memcmp(s, first_day, DAY_LENGTH) >= 0 && memcmp(s, last_day, DAY_LENGTH) <= 0;
}

typedef struct {
    Py_ssize_t width, user_at, type_at, time_at, field_limit, max_user_id, max_event_type;
    const char *first_day, *last_day;
} Rules;

/* The stripped bounds of field `index`, and whether it is 1 to `longest` characters long. */
static int stripped(const char **starts, const char **ends, Py_ssize_t index, Py_ssize_t longest, const char **value,
                    Py_ssize_t *length) {
    const char *start = starts[index], *end = ends[index];
    while (start < end && *start == ' ') start++;
    while (end > start && end[-1] == ' ') end--;
    *value = start;
    *length = end - start;
    return *length >= 1 && *length <= longest;
}

/* Count `line` (without its LF) if it is certainly a valid row; 0 when it is not, -1 when memory ran out. */
static int count_line(const char *line, const char *end, const Rules *rules, const char **starts, const char **ends,
                      Counts *counts) {
    Py_ssize_t field = 0;
    starts[0] = line;
    for (const char *at = line; at < end; at++) {
        unsigned char c = (unsigned char)*at;
        if (c == ',') {
            if (field + 1 >= rules->width) return 0;
            ends[field++] = at;
            starts[field] = at + 1;
        } else if (c < 0x20 || c > 0x7e || c == '"') {
            return 0; /* control characters, quotes and non-ASCII text are the exact parser's */
        }
    }
    if (field + 1 != rules->width) return 0;
    ends[field] = end;
    for (Py_ssize_t i = 0; i < rules->width; i++)
        if (ends[i] - starts[i] > rules->field_limit) return 0; /* the csv reader would refuse it */
    const char *value, *type, *stamp;
    Py_ssize_t length, type_length, stamp_length;
    if (!stripped(starts, ends, rules->user_at, rules->max_user_id, &value, &length)) return 0;
    if (!stripped(starts, ends, rules->type_at, rules->max_event_type, &type, &type_length)) return 0;
    if (!stripped(starts, ends, rules->time_at, PY_SSIZE_T_MAX, &stamp, &stamp_length)) return 0;
    if (!common_timestamp(stamp, stamp_length, rules->first_day, rules->last_day)) return 0;
    return counts_add(counts, type, type_length, stamp) < 0 ? -1 : 1;
}

static PyObject *build_counts(const Counts *counts) {
    PyObject *by_day = PyDict_New();
    if (by_day == NULL) return NULL;
    for (size_t i = 0; i < counts->capacity; i++) {
        const Key *key = &counts->keys[i];
        if (key->type == NULL) continue;
        PyObject *day = PyUnicode_DecodeASCII(key->day, DAY_LENGTH, NULL);
        PyObject *type = PyUnicode_DecodeASCII(key->type, key->type_length, NULL);
        PyObject *count = PyLong_FromSsize_t(key->count);
        PyObject *per_type = day == NULL ? NULL : PyDict_GetItemWithError(by_day, day); /* borrowed */
        int failed = day == NULL || type == NULL || count == NULL || (per_type == NULL && PyErr_Occurred());
        if (!failed && per_type == NULL) {
            per_type = PyDict_New();
            failed = per_type == NULL || PyDict_SetItem(by_day, day, per_type) < 0;
            Py_XDECREF(per_type); /* by_day holds it */
        }
        failed = failed || PyDict_SetItem(per_type, type, count) < 0;
        Py_XDECREF(day);
        Py_XDECREF(type);
        Py_XDECREF(count);
        if (failed) {
            Py_DECREF(by_day);
            return NULL;
        }
    }
    return by_day;
}

static PyObject *build_leftover(const Leftover *leftover) {
    PyObject *lines = PyList_New((Py_ssize_t)leftover->used);
    if (lines == NULL) return NULL;
    for (size_t i = 0; i < leftover->used; i++) {
        PyObject *line = PyLong_FromSsize_t(leftover->lines[i]);
        if (line == NULL) {
            Py_DECREF(lines);
            return NULL;
        }
        PyList_SET_ITEM(lines, (Py_ssize_t)i, line);
    }
    return lines;
}

PyDoc_STRVAR(count_doc,
             "count(data, width, user_at, type_at, time_at, field_limit, max_user_id, max_event_type, first_day, "
             "last_day)\n--\n\n"
             "Count the certainly valid rows of data (lines ended by LF; no CR). Returns ({day: {event_type: "
             "count}}, rows counted, [0-based lines left to the exact parser]). first_day and last_day: the first "
             "and last days, as YYYY-MM-DD, that lie wholly within the timestamp bounds.");

static PyObject *count(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer data;
    Rules rules;
    Py_ssize_t first_length, last_length;
    if (!PyArg_ParseTuple(args, "y*nnnnnnny#y#", &data, &rules.width, &rules.user_at, &rules.type_at, &rules.time_at,
                          &rules.field_limit, &rules.max_user_id, &rules.max_event_type, &rules.first_day,
                          &first_length, &rules.last_day, &last_length))
        return NULL;
    if (rules.width < 1 || rules.user_at < 0 || rules.user_at >= rules.width || rules.type_at < 0 ||
        rules.type_at >= rules.width || rules.time_at < 0 || rules.time_at >= rules.width ||
        first_length != DAY_LENGTH || last_length != DAY_LENGTH) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_ValueError, "columns out of range, or a day not written YYYY-MM-DD");
        return NULL;
    }
    const char **starts = PyMem_Malloc(2 * (size_t)rules.width * sizeof(char *));
    if (starts == NULL) {
        PyBuffer_Release(&data);
        return PyErr_NoMemory();
    }
    const char **ends = starts + rules.width;
    Counts counts = {NULL, 0, 0};
    Leftover leftover = {NULL, 0, 0};
    Py_ssize_t rows = 0, line = 0;
    int failed = 0;
    const char *at = data.buf, *end = at + data.len;
    Py_BEGIN_ALLOW_THREADS;
    while (at < end) {
        const char *line_end = memchr(at, '\n', (size_t)(end - at));
        if (line_end == NULL) line_end = end;
        int counted = count_line(at, line_end, &rules, starts, ends, &counts);
        if (counted < 0 || (counted == 0 && leftover_add(&leftover, line) < 0)) {
            failed = 1;
            break;
        }
        rows += counted;
        line++;
        at = line_end + 1;
    }
    Py_END_ALLOW_THREADS;
    PyMem_Free(starts);
    PyObject *result = NULL;
    if (failed) {
        PyErr_NoMemory();
    } else {
        PyObject *by_day = build_counts(&counts); /* its keys point into data: released after */
        PyObject *lines = by_day == NULL ? NULL : build_leftover(&leftover);
        if (lines != NULL) result = Py_BuildValue("(NnN)", by_day, rows, lines);
        else Py_XDECREF(by_day);
    }
    PyBuffer_Release(&data);
    free(counts.keys);
    free(leftover.lines);
    return result;
}

static PyMethodDef methods[] = {
    {"count", count, METH_VARARGS, count_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_common_rows",
    .m_doc = "The certainly valid rows of a chunk, counted in C.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__common_rows(void) { return PyModule_Create(&module); }
