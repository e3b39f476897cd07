/*
 * runner.c -- runs one program under one allocator and measures it.
 *
 * Usage: bench_runner [--preload LIB] [--env NAME=VALUE]... [--stdout FILE]
 *                     [--stderr FILE] [--timeout SECONDS] -- PROGRAM ARGS...
 *
 * Forks, sets LD_PRELOAD=LIB in the child's environment only (none: the
 * child gets no LD_PRELOAD at all, i.e. glibc malloc), redirects the child's
 * stdin from /dev/null and its stdout/stderr to the given files, execve()s
 * PROGRAM (a path, not searched in PATH), and waits with wait4() for its
 * rusage. Prints one JSON line: wall time (CLOCK_MONOTONIC around fork..wait),
 * user and system CPU, peak RSS (ru_maxrss: the child's high-water mark, KiB),
 * and how it ended. The runner itself allocates almost nothing and is never
 * preloaded, so it measures every allocator the same way.
 * Exit status: 0 when the child was run and waited for (whatever its own
 * status), 2 on a usage or system error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

#define MAX_ENV 512

static volatile sig_atomic_t g_child, g_timed_out;

static void on_alarm(int sig) {
    (void)sig;
    g_timed_out = 1;
    if (g_child > 0) kill((pid_t)g_child, SIGKILL);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(const char* msg) {
    fprintf(stderr, "bench_runner: %s\nusage: bench_runner [--preload LIB] [--env NAME=VALUE]... [--stdout FILE] "
                    "[--stderr FILE] [--timeout SECONDS] -- PROGRAM ARGS...\n", msg);
    return 2;
}

/* opens `path` for the child's fd `fd` (before execve); exits the child on failure */
static void redirect(const char* path, int fd, int flags) {
    int f = open(path, flags, 0644);
    if (f < 0 || dup2(f, fd) < 0) {
        fprintf(stderr, "bench_runner: cannot open %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    close(f);
}

int main(int argc, char** argv) {
    const char *preload = NULL, *out = NULL, *err = NULL;
    const char* extra_env[MAX_ENV];
    int n_extra = 0, i = 1;
    double timeout = 0;
    for (; i < argc; i++) {
        const char* a = argv[i];
        if (!strcmp(a, "--")) { i++; break; }
        if (strcmp(a, "--preload") && strcmp(a, "--stdout") && strcmp(a, "--stderr") && strcmp(a, "--timeout") &&
            strcmp(a, "--env"))
            return usage("unknown option");
        if (i + 1 >= argc) return usage("option needs a value");
        if (!strcmp(a, "--preload")) preload = argv[++i];
        else if (!strcmp(a, "--stdout")) out = argv[++i];
        else if (!strcmp(a, "--stderr")) err = argv[++i];
        else if (!strcmp(a, "--timeout")) timeout = strtod(argv[++i], NULL);
        else if (!strcmp(a, "--env")) {
            if (n_extra >= MAX_ENV - 8 || !strchr(argv[i + 1], '=')) return usage("bad --env");
            extra_env[n_extra++] = argv[++i];
        }
    }
    if (i >= argc) return usage("no program given");
    if (preload && access(preload, R_OK) != 0) {
        /* ld.so would only warn and run the program on glibc: refuse instead */
        fprintf(stderr, "bench_runner: preload library %s: %s\n", preload, strerror(errno));
        return 2;
    }

    /* the child's environment: ours minus any LD_PRELOAD, plus --env, plus --preload */
    size_t n_env = 0;
    while (environ[n_env]) n_env++;
    char** env = calloc(n_env + (size_t)n_extra + 2, sizeof *env);
    char* preload_var = NULL;
    if (!env) return usage("out of memory");
    size_t k = 0;
    for (size_t e = 0; e < n_env; e++)
        if (strncmp(environ[e], "LD_PRELOAD=", 11) != 0) env[k++] = environ[e];
    for (int e = 0; e < n_extra; e++) env[k++] = (char*)extra_env[e];
    if (preload) {
        if (asprintf(&preload_var, "LD_PRELOAD=%s", preload) < 0) return usage("out of memory");
        env[k++] = preload_var;
    }
    env[k] = NULL;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);

    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench_runner: fork");
        return 2;
    }
    if (pid == 0) {
        redirect("/dev/null", 0, O_RDONLY);
        if (out) redirect(out, 1, O_WRONLY | O_CREAT | O_TRUNC);
        if (err) redirect(err, 2, O_WRONLY | O_CREAT | O_TRUNC);
        execve(argv[i], &argv[i], env);
        fprintf(stderr, "bench_runner: execve %s: %s\n", argv[i], strerror(errno));
        _exit(127);
    }
    g_child = pid;
    if (timeout > 0) {
        struct itimerval it = {{0, 0}, {(time_t)timeout, (suseconds_t)((timeout - (double)(time_t)timeout) * 1e6)}};
        setitimer(ITIMER_REAL, &it, NULL);
    }
    int status = 0;
    struct rusage ru;
    pid_t w;
    while ((w = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR) {}
    double t1 = now_s();
    if (w < 0) {
        perror("bench_runner: wait4");
        return 2;
    }
    printf("{\"wall_s\":%.6f,\"user_s\":%.6f,\"sys_s\":%.6f,\"maxrss_kib\":%ld,\"exit_code\":%d,\"signal\":%d,"
           "\"timed_out\":%s}\n",
           t1 - t0, (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss,
           WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
           g_timed_out ? "true" : "false");
    free(preload_var);
    free(env);
    return 0;
}
