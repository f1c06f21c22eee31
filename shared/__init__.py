"""Code shared by the four services: event contracts and the plumbing around them.

Nothing here knows a business rule of one service: contracts (what an event says),
the outbox write, the stream publisher, the queue consumer, and the HTTP glue.
"""
