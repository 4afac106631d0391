//! The desktop agent's client code: the `/ws/agent` connection.
