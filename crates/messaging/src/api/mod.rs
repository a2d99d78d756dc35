//! JSON handlers for messaging, annotated for OpenAPI. Thin: parse, call a service, answer.

mod chat;
mod notifications;
mod presence;
mod ws;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vertechie_kernel::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(notifications::list_notifications))
        .routes(routes!(notifications::read_notification))
        .routes(routes!(notifications::read_all_notifications))
        .routes(routes!(
            notifications::get_preferences,
            notifications::put_preferences
        ))
        .routes(routes!(chat::list_rooms, chat::create_room))
        .routes(routes!(chat::get_room, chat::update_room))
        .routes(routes!(chat::join_room))
        .routes(routes!(chat::leave_room))
        .routes(routes!(chat::list_members, chat::invite))
        .routes(routes!(chat::set_role, chat::remove_member))
        .routes(routes!(chat::list_messages, chat::post_message))
        .routes(routes!(chat::mark_read))
        .routes(routes!(
            chat::get_message,
            chat::edit_message,
            chat::delete_message
        ))
        .routes(routes!(chat::message_edits))
        .routes(routes!(chat::message_replies))
        .routes(routes!(chat::add_reaction))
        .routes(routes!(chat::remove_reaction))
        .routes(routes!(chat::conversations))
        .routes(routes!(chat::direct))
        .routes(routes!(chat::post_direct))
        .routes(routes!(chat::search))
        .routes(routes!(chat::list_scheduled))
        .routes(routes!(chat::cancel_scheduled))
        .routes(routes!(ws::websocket))
        .routes(routes!(presence::presence))
        .routes(routes!(presence::room_online))
}
