// Static data of the mock engine: the account object, the probe answer, the service catalog and pipeline checks.

#include "EngineRequest.hpp"

#include <set>

namespace dapscope::mock
{

namespace
{

boost::json::array Strings(std::initializer_list<std::string_view> items)
{
    boost::json::array out;
    for (auto item : items)
        out.emplace_back(item);
    return out;
}

// One service definition in the shape rrext_services returns (as in the fixtures).
boost::json::object Service(std::string_view title, std::string_view name, std::string_view prefix,
                            int64_t capabilities, std::string_view classType, std::string_view description,
                            boost::json::object lanes)
{
    boost::json::object pipe{{"schema", {{"type", "object"}, {"properties", boost::json::object()}}},
                             {"ui", boost::json::object()}};
    return {{"Pipe", std::move(pipe)},
            {"title", title},
            {"protocol", std::string(name) + "://"},
            {"prefix", prefix},
            {"plans", nullptr},
            {"capabilities", capabilities},
            {"classType", Strings({classType})},
            {"actions", 0},
            {"description", Strings({description})},
            {"lanes", std::move(lanes)},
            {"tile", boost::json::array()},
            {"icon", std::string(name) + ".svg"},
            {"documentation", "https://docs.rocketride.org"}};
}

boost::json::object BuildServices()
{
    boost::json::object services;
    services["webhook"] = Service("Web Hook", "webhook", "WebHook", 512, "source",
                                  "A source component that listens for incoming HTTP requests.",
                                  {{"_source", Strings({"tags", "text", "audio", "video", "image", "questions"})}});
    services["chat"] = Service("Chat", "chat", "Chat", 512, "source", "A source component that accepts chat questions.",
                               {{"_source", Strings({"questions"})}});
    services["dropper"] = Service("Dropper", "dropper", "Dropper", 512, "source",
                                  "A source component that accepts dropped files.", {{"_source", Strings({"tags"})}});
    services["parse"] = Service("Parser", "parse", "Parse", 0, "text", "Extracts text from documents.",
                                {{"tags", Strings({"text", "table"})}});
    services["llm_openai"] =
        Service("OpenAI", "llm_openai", "OpenAI", 0, "llm", "Large language model (mock: echoes the question).",
                {{"questions", Strings({"answers"})}});
    services["response"] = Service("Return Text", "response", "response", 0, "infrastructure",
                                   "Returns processed data back to the requesting client.",
                                   {{"text", boost::json::array()},
                                    {"answers", boost::json::array()},
                                    {"documents", boost::json::array()},
                                    {"questions", boost::json::array()},
                                    {"table", boost::json::array()}});
    return services;
}

} // namespace

boost::json::object AccountBody(std::string_view userToken)
{
    boost::json::object team{{"id", "local"},
                             {"name", "Development"},
                             {"permissions", Strings({"team.admin", "read", "write", "execute", "task.control",
                                                      "task.data", "task.monitor", "task.debug", "task.store"})}};
    boost::json::object organization{{"id", "local"},
                                     {"name", "Local"},
                                     {"permissions", Strings({"org.admin"})},
                                     {"teams", boost::json::array{std::move(team)}}};
    boost::json::object account;
    account["userToken"] = userToken;
    account["userId"] = "local";
    account["displayName"] = "RocketRide Developer";
    account["givenName"] = "";
    account["familyName"] = "";
    account["preferredUsername"] = "developer";
    account["email"] = "";
    account["emailVerified"] = false;
    account["phoneNumber"] = "";
    account["phoneNumberVerified"] = false;
    account["locale"] = "";
    account["defaultTeam"] = "local";
    account["organizations"] = boost::json::array{std::move(organization)};
    account["apps"] = boost::json::array();
    account["capabilities"] = Strings({"oss"});
    return account;
}

boost::json::object ProbeBody()
{
    return {{"version", "1.1.0+dapscope-mock"},
            {"capabilities", Strings({"oss"})},
            {"platform", "linux"},
            {"apps", boost::json::array()}};
}

const boost::json::object& ServiceDefinitions()
{
    static const boost::json::object services = BuildServices();
    return services;
}

const boost::json::object* FindComponent(const boost::json::object& pipeline, std::string_view id)
{
    const auto* components = pipeline.if_contains("components");
    if (!components || !components->is_array())
        return nullptr;
    for (const auto& component : components->get_array())
        if (component.is_object() && ArgString(component.get_object(), "id") == id)
            return &component.get_object();
    return nullptr;
}

std::string ResolveSource(const boost::json::object& pipeline, std::string_view explicitSource)
{
    if (!explicitSource.empty())
        return std::string(explicitSource);
    std::string source = ArgString(pipeline, "source");
    if (!source.empty())
        return source;
    // Implied source: the single component whose config.mode is "Source".
    const auto* components = pipeline.if_contains("components");
    if (!components || !components->is_array())
        return {};
    std::string implied;
    for (const auto& component : components->get_array())
    {
        if (!component.is_object())
            continue;
        const auto* config = component.get_object().if_contains("config");
        if (config && config->is_object() && ArgString(config->get_object(), "mode") == "Source")
        {
            if (!implied.empty())
                return {};
            implied = ArgString(component.get_object(), "id");
        }
    }
    return implied;
}

boost::json::object ValidatePipeline(const boost::json::object& pipeline, std::string_view explicitSource)
{
    boost::json::array errors;
    boost::json::array warnings;
    const auto* components = pipeline.if_contains("components");
    std::set<std::string> ids;
    if (!components || !components->is_array() || components->get_array().empty())
    {
        errors.emplace_back("Pipeline has no components");
    }
    else
    {
        for (const auto& component : components->get_array())
            if (component.is_object())
                ids.insert(ArgString(component.get_object(), "id"));
        for (const auto& component : components->get_array())
        {
            if (!component.is_object())
            {
                errors.emplace_back("Invalid components in pipeline");
                continue;
            }
            const auto& object = component.get_object();
            const std::string id = ArgString(object, "id");
            const std::string provider = ArgString(object, "provider");
            if (!ServiceDefinitions().contains(provider))
                warnings.emplace_back("Component '" + id + "' uses unknown provider '" + provider + "'");
            const auto* inputs = object.if_contains("input");
            if (!inputs || !inputs->is_array())
                continue;
            for (const auto& input : inputs->get_array())
            {
                const std::string from = input.is_object() ? ArgString(input.get_object(), "from") : "";
                if (!ids.contains(from))
                    errors.emplace_back("Component '" + id + "' takes input from unknown component '" + from + "'");
            }
        }
    }
    const std::string source = ResolveSource(pipeline, explicitSource);
    if (source.empty())
        errors.emplace_back("Pipeline does not have a source component defined");
    else if (!FindComponent(pipeline, source))
        errors.emplace_back("Pipeline source component \"" + source + "\" not found in components list");
    return {{"errors", std::move(errors)}, {"warnings", std::move(warnings)}, {"source", source}};
}

} // namespace dapscope::mock
