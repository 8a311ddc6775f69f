namespace OrleansJobs.Silo;

/// <summary>Bridges what .NET Aspire's Orleans integration writes and what Orleans' ADO.NET providers read.</summary>
internal static class AspireSettings
{
    /// <summary>
    /// Aspire names a provider's connection <c>Orleans:{Provider}:ServiceKey</c> (the database resource's
    /// name); Orleans' ADO.NET providers look the connection string up by <c>Orleans:{Provider}:ConnectionName</c>.
    /// Copies the one to the other where only the first is set.
    /// </summary>
    public static void NameProviderConnections(IConfigurationManager configuration)
    {
        foreach (var provider in new[] { "Clustering", "Reminders", "GrainStorage" })
        {
            var section = configuration.GetSection($"Orleans:{provider}");
            if (section["ServiceKey"] is { Length: > 0 } key && section["ConnectionName"] is null)
            {
                configuration[$"Orleans:{provider}:ConnectionName"] = key;
            }
        }
    }
}
