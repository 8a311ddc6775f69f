using System.Text;

namespace OrleansJobs.Storage;

/// <summary>
/// How a SQL dialect tests that a column contains a text as typed: case-sensitive, with no character
/// taken as a wildcard. The SQL stores' error-text filters (dead letters, the jobs search, bulk
/// actions) share it.
/// </summary>
internal sealed class TextContains
{
    /// <summary>
    /// PostgreSQL: <c>LIKE '%text%'</c> with the text's own <c>%</c>, <c>_</c> and <c>\</c> escaped, the form a
    /// trigram index can serve (migration 019 builds one over the dead letters' last errors where
    /// <c>pg_trgm</c> is available); <c>strpos</c> would read every row the other filters leave.
    /// </summary>
    public static readonly TextContains Like = new((column, parameter) => $"{column} LIKE {parameter} ESCAPE '\\'", text => $"%{EscapeLike(text)}%");

    /// <summary>SQLite: <c>instr</c>, which is case-sensitive (SQLite's <c>LIKE</c> is not, for ASCII).</summary>
    public static readonly TextContains Instr = new((column, parameter) => $"instr({column}, {parameter}) > 0", text => text);

    private readonly Func<string, string, string> _clause;
    private readonly Func<string, string> _value;

    private TextContains(Func<string, string, string> clause, Func<string, string> value) => (_clause, _value) = (clause, value);

    /// <summary>The condition that <paramref name="column"/> contains the value bound to <paramref name="parameter"/>.</summary>
    public string Clause(string column, string parameter) => _clause(column, parameter);

    /// <summary>What to bind to the clause's parameter to search for <paramref name="text"/>.</summary>
    public string Value(string text) => _value(text);

    private static string EscapeLike(string text)
    {
        var escaped = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (c is '%' or '_' or '\\')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }
}
