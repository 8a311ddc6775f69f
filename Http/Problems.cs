using Microsoft.AspNetCore.Http;

namespace OrleansJobs.Http;

/// <summary>RFC 7807 answers for the ways a request can go wrong, each naming what to fix.</summary>
internal static class Problems
{
    public static IResult Validation(JobValidationException error) =>
        Results.Problem(
            statusCode: StatusCodes.Status400BadRequest,
            title: error is UnknownJobTypeException ? "Unknown job type" : "Invalid request",
            detail: error.Message,
            type: "https://orleansjobs.dev/problems/validation",
            extensions: new Dictionary<string, object?> { ["field"] = error.Field, ["code"] = error.Code });

    public static IResult Field(string field, string code, string detail) => Validation(new JobValidationException(field, code, detail));

    public static IResult Unauthorized() =>
        Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "API key required", detail: "Send a valid key as 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'.");

    public static IResult Forbidden(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed", detail: detail);

    public static IResult NotFound(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: detail);

    public static IResult TooLarge(long limit) =>
        Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request body too large", detail: $"This endpoint takes at most {limit} bytes.");

    public static IResult Unavailable(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Job store unavailable", detail: detail);
}
