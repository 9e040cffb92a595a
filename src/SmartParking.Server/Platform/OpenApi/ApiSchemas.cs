using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace SmartParking.Server.Platform.OpenApi;

/// <summary>
/// The values a text field takes, for the OpenAPI document: given inline, or read from the static string array the
/// validator checks against (<c>[Vocabulary(typeof(LotsVocabulary), nameof(LotsVocabulary.SpaceTypes))]</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class VocabularyAttribute : Attribute
{
    public VocabularyAttribute(params string[] values) => Values = values;

    public VocabularyAttribute(Type holder, string member) =>
        Values = holder.GetField(member, BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as IReadOnlyList<string>
            ?? throw new ArgumentException($"{holder.Name}.{member} is not a public static string array.", nameof(member));

    public IReadOnlyList<string> Values { get; }
}

/// <summary>
/// Makes schemas say what the server accepts. Request records declare every field nullable and validate by hand, so a
/// field is required only when it is marked <see cref="RequiredAttribute"/> (as its validator requires it) or cannot be
/// null and has no default; every other field is optional. Text fields (written by a custom converter, which leaves
/// their schema empty) are strings; <see cref="VocabularyAttribute"/> lists a field's values and
/// <see cref="DescriptionAttribute"/> explains it.
/// </summary>
public sealed class ApiSchemaTransformer : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonPropertyInfo is { } property) Describe(schema, property);
        else if (context.JsonTypeInfo.Type == typeof(string) && schema.Type is null) schema.Type = JsonSchemaType.String;

        if (context.JsonTypeInfo.Kind == JsonTypeInfoKind.Object && schema.Properties is { Count: > 0 } properties)
        {
            var required = context.JsonTypeInfo.Properties.Where(IsRequired).Select(p => p.Name).Where(properties.ContainsKey).ToHashSet(StringComparer.Ordinal);
            schema.Required = required.Count > 0 ? required : null;
            // A required field declared nullable (to be validated by hand) still may not be null.
            foreach (var name in required)
                if (properties[name] is OpenApiSchema { Type: { } type } field && type.HasFlag(JsonSchemaType.Null)) field.Type = type & ~JsonSchemaType.Null;
        }
        return Task.CompletedTask;
    }

    private static bool IsRequired(JsonPropertyInfo property) =>
        Has<RequiredAttribute>(property)
        || (!property.IsSetNullable && !property.IsGetNullable && property.AssociatedParameter is not { HasDefaultValue: true });

    private static void Describe(OpenApiSchema schema, JsonPropertyInfo property)
    {
        if (Underlying(property.PropertyType) == typeof(string) && schema.Type is null)
            schema.Type = Has<RequiredAttribute>(property) || !property.IsSetNullable ? JsonSchemaType.String : JsonSchemaType.String | JsonSchemaType.Null;
        if (Attribute<VocabularyAttribute>(property) is { } vocabulary)
        {
            // A list of such values (amenities) lists them for its items.
            var target = schema.Type is { } type && type.HasFlag(JsonSchemaType.Array) && schema.Items is OpenApiSchema items ? items : schema;
            target.Enum = [.. vocabulary.Values.Select(v => (JsonNode)JsonValue.Create(v))];
        }
        if (Attribute<DescriptionAttribute>(property) is { } description) schema.Description = description.Description;
    }

    private static Type Underlying(Type type) => Nullable.GetUnderlyingType(type) ?? type;

    private static bool Has<T>(JsonPropertyInfo property) where T : Attribute => Attribute<T>(property) is not null;

    private static T? Attribute<T>(JsonPropertyInfo property) where T : Attribute =>
        property.AttributeProvider?.GetCustomAttributes(typeof(T), inherit: true).OfType<T>().FirstOrDefault()
        ?? property.AssociatedParameter?.AttributeProvider?.GetCustomAttributes(typeof(T), inherit: true).OfType<T>().FirstOrDefault();
}

public static class ApiBodies
{
    /// <summary>
    /// Documents the body of an endpoint that reads it itself (raw JSON, CSV, signed webhooks): <typeparamref name="T"/>'s
    /// schema, or with <paramref name="oneOrMany"/> one of it or an array of them. Only the document changes: unlike
    /// <c>Accepts</c>, no content-type constraint is added to routing, so devices that send another Content-Type still get in.
    /// </summary>
    public static RouteHandlerBuilder DescribeBody<T>(this RouteHandlerBuilder builder, string description, bool oneOrMany, params string[] contentTypes) =>
        builder.AddOpenApiOperationTransformer(async (operation, context, ct) =>
        {
            // A body read as raw JSON (a provider's event) has no schema of ours: it is a JSON object.
            IOpenApiSchema schema = typeof(T) == typeof(JsonElement)
                ? new OpenApiSchema { Type = JsonSchemaType.Object }
                : await context.GetOrCreateSchemaAsync(typeof(T), cancellationToken: ct);
            if (schema is OpenApiSchema { Description: null } inline) inline.Description = description;
            if (oneOrMany) schema = new OpenApiSchema { OneOf = [schema, new OpenApiSchema { Type = JsonSchemaType.Array, Items = schema }] };
            operation.RequestBody = new OpenApiRequestBody
            {
                Description = description,
                Required = true,
                Content = contentTypes.ToDictionary(type => type, _ => new OpenApiMediaType { Schema = schema }),
            };
        });
}
