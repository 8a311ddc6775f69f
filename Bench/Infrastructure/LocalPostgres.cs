using System.Diagnostics;
using Npgsql;

namespace OrleansJobs.Bench.Infrastructure;

/// <summary>A throwaway PostgreSQL for the run (deploy/pg.sh), with a fresh database per system under test.</summary>
internal sealed class LocalPostgres : IAsyncDisposable
{
    private readonly string _folder;

    private LocalPostgres(string folder, string server)
    {
        _folder = folder;
        Server = server;
    }

    /// <summary>The server's connection string (database "postgres").</summary>
    public string Server { get; }

    public static async Task<LocalPostgres> StartAsync()
    {
        var folder = Directory.CreateTempSubdirectory("orleansjobs-bench-pg-").FullName;
        var server = (await Script.RunAsync("bash", Path.Combine(Repository.Root, "deploy", "pg.sh"), "start", folder)).Trim();
        var postgres = new LocalPostgres(folder, server);
        await postgres.CheckpointOnlyWhenSettledAsync();
        return postgres;
    }

    /// <summary>
    /// Writes out every dirty page now, so that the checkpoint a scenario's writes owe the server does
    /// not fall into the next scenario's figures.
    /// </summary>
    public async Task CheckpointAsync()
    {
        await using var db = new NpgsqlConnection(Server);
        await db.OpenAsync();
        await using var checkpoint = new NpgsqlCommand("CHECKPOINT;", db);
        checkpoint.CommandTimeout = 600;
        await checkpoint.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Room for a whole scenario's WAL and time between checkpoints, so the only checkpoints are those
    /// <see cref="CheckpointAsync"/> asks for between scenarios. A checkpoint running through a
    /// scenario makes every commit on the server wait longer (docs/benchmarks.md), whichever system
    /// happens to be measured then.
    /// </summary>
    private async Task CheckpointOnlyWhenSettledAsync()
    {
        await using var db = new NpgsqlConnection(Server);
        await db.OpenAsync();
        foreach (var setting in new[] { "ALTER SYSTEM SET max_wal_size = '32GB';", "ALTER SYSTEM SET checkpoint_timeout = '1h';", "SELECT pg_reload_conf();" })
        {
            await using var command = new NpgsqlCommand(setting, db);
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>A new, empty database; its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var admin = new NpgsqlConnection(Server);
        await admin.OpenAsync();
        await using (var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE);", admin))
        {
            await drop.ExecuteNonQueryAsync();
        }

        await using (var create = new NpgsqlCommand($"CREATE DATABASE {name};", admin))
        {
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(Server) { Database = name, MaxPoolSize = 64 }.ToString();
    }

    public async Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(Server);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE);", admin);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>The server settings that decide durability and speed, as the report states them.</summary>
    public async Task<Dictionary<string, string>> SettingsAsync()
    {
        await using var db = new NpgsqlConnection(Server);
        await db.OpenAsync();
        var settings = new Dictionary<string, string>();
        foreach (var name in new[] { "server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_level", "shared_buffers", "max_wal_size", "checkpoint_timeout", "max_connections" })
        {
            await using var show = new NpgsqlCommand($"SHOW {name};", db);
            settings[name] = (string)(await show.ExecuteScalarAsync())!;
        }

        return settings;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await Script.RunAsync("bash", Path.Combine(Repository.Root, "deploy", "pg.sh"), "stop", _folder);
        Directory.Delete(_folder, recursive: true);
    }
}

/// <summary>Runs a command to completion and returns what it printed; throws when it fails.</summary>
internal static class Script
{
    public static async Task<string> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {await error}");
        }

        return await output;
    }
}
